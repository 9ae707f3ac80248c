// Login/logout for the browser UI. Automation uses API tokens instead and never touches these routes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit.js';
import { createSession, SESSION_COOKIE } from '../../auth/credentials.js';
import { principalOf } from '../../auth/principal.js';
import { dummyPasswordHash, verifyPassword } from '../../auth/secrets.js';
import { AppError, errorResponses } from '../../errors.js';
import { NoContent, type RoutePlugin } from '../common.js';
import { findUserForLogin, getUser } from '../users/repository.js';
import { LoginBody, LoginResponse, SessionResponse } from './schemas.js';

const tags = ['auth'];

function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string, expires: Date): void {
  reply.setCookie(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    expires,
  });
}

const authRoutes: RoutePlugin = async (app) => {
  const ttlHours = app.config.sessionTtlHours;
  // Hash the decoy now, so the first login with an unknown email is not slower (and so distinguishable).
  await dummyPasswordHash();

  app.post(
    '/auth/login',
    {
      config: {
        auth: false,
        rateLimit: {
          max: app.config.loginRateLimit,
          timeWindow: 60_000,
          // After validation, so the key can use the email: spraying one IP across emails or one email across IPs
          // each hit their own bucket, and the common case (one person mistyping) is limited precisely.
          hook: 'preHandler',
          keyGenerator: (request) => {
            const email = (request.body as { email?: unknown } | undefined)?.email;
            return `login:${request.ip}:${typeof email === 'string' ? email.trim().toLowerCase() : ''}`;
          },
        },
      },
      schema: {
        tags,
        summary: 'Log in with email and password; sets the acc_session cookie',
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const email = request.body.email.trim().toLowerCase();
      const candidate = await app.db.withAdmin((tx) => findUserForLogin(tx, email));
      // Same work and same answer for an unknown email, a disabled user and a wrong password.
      const valid = await verifyPassword(
        candidate?.passwordHash ?? (await dummyPasswordHash()),
        request.body.password,
      );
      if (!candidate || !valid) throw new AppError('invalid_credentials');

      const { user, session } = await app.db.withTenant(candidate.orgId, async (tx) => {
        const session = await createSession(tx, candidate.id, candidate.orgId, ttlHours);
        const user = await getUser(tx, candidate.id);
        if (!user) throw new AppError('invalid_credentials');
        await recordAudit(tx, {
          orgId: candidate.orgId,
          actor: { kind: 'user', id: user.id, orgId: user.orgId, role: user.role },
          action: 'auth.login',
          resourceType: 'session',
          resourceId: null,
          after: { userId: user.id, expiresAt: session.expiresAt, ip: request.ip },
        });
        return { user, session };
      });
      setSessionCookie(request, reply, session.sessionId, session.expiresAt);
      return { user, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags,
        summary: 'End the current session (no-op for API tokens)',
        response: { 204: NoContent, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const credential = request.credential;
      if (credential?.type === 'session') {
        await app.db.withTenant(principal.orgId, async (tx) => {
          await tx.query('DELETE FROM sessions WHERE id_digest = $1', [credential.idDigest]);
          await recordAudit(tx, {
            orgId: principal.orgId,
            actor: principal,
            action: 'auth.logout',
            resourceType: 'session',
            resourceId: null,
            before: { userId: principal.id },
          });
        });
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/session',
    {
      schema: {
        tags,
        summary: 'Who is calling, and the CSRF token of the session',
        response: { 200: SessionResponse, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const credential = request.credential;
      const user =
        principal.kind === 'user'
          ? await app.db.withTenant(principal.orgId, (tx) => getUser(tx, principal.id))
          : null;
      return {
        principal,
        user,
        authenticatedBy: credential?.type === 'session' ? ('session' as const) : ('api_token' as const),
        csrfToken: credential?.type === 'session' ? credential.csrfToken : null,
      };
    },
  );
};

export default authRoutes;
