// Authentication for everything under /api/v1: a session cookie (browser UI) or a bearer API token (automation).
// Cookie-authenticated state changes also need the session's CSRF token in a header; bearer requests cannot be
// forged cross-site, so they are exempt.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveApiToken, resolveSession, SESSION_COOKIE } from '../auth/credentials.js';
import { safeEqual } from '../auth/secrets.js';
import { API_TOKEN_PATTERN } from '../config.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';

export const API_PREFIX = '/api/v1';
export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function authenticate(db: Database, request: FastifyRequest): Promise<void> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (!token)
      throw new AppError('unauthenticated', 'The Authorization header must be "Bearer <api token>"');
    const resolved = API_TOKEN_PATTERN.test(token) ? await resolveApiToken(db, token) : null;
    if (!resolved) throw new AppError('unauthenticated', 'The API token is invalid, expired or revoked');
    request.principal = resolved.principal;
    request.credential = { type: 'api_token', tokenId: resolved.tokenId };
    return;
  }

  const sessionId = request.cookies[SESSION_COOKIE];
  if (!sessionId) throw new AppError('unauthenticated');
  const session = await resolveSession(db, sessionId);
  if (!session) throw new AppError('unauthenticated', 'The session has expired or was ended; log in again');
  if (UNSAFE_METHODS.has(request.method)) {
    const header = request.headers[CSRF_HEADER];
    if (typeof header !== 'string' || !safeEqual(header, session.csrfToken))
      throw new AppError('csrf_failed');
  }
  request.principal = session.principal;
  request.credential = { type: 'session', idDigest: session.idDigest, csrfToken: session.csrfToken };
}

export function installAuth(app: FastifyInstance, db: Database): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('credential', null);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    // Unknown routes fall through to the 404 handler; ops and docs are outside the API.
    if (route === undefined || !route.startsWith(API_PREFIX)) return;
    if (request.routeOptions.config.auth === false) return;
    await authenticate(db, request);
  });
}
