// Who is calling, and the role ladder every authorization decision uses.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

export const ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  kind: 'user' | 'service_account';
  id: string;
  orgId: string;
  role: Role;
}

/** How the principal authenticated: CSRF applies to sessions only, and logout ends only sessions. */
export type Credential =
  | { type: 'session'; idDigest: string; csrfToken: string }
  | { type: 'api_token'; tokenId: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    credential: Credential | null;
  }
  interface FastifyContextConfig {
    /** false = the route is reachable without a principal (login). */
    auth?: boolean;
  }
}

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** The principal of an authenticated route (the auth hook guarantees it); throws 401 if somehow absent. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated');
  return request.principal;
}

/** preHandler: `{ preHandler: requireRole('editor') }` (owner > admin > editor > viewer). */
export function requireRole(minimum: Role) {
  return async function roleGuard(request: FastifyRequest): Promise<void> {
    const principal = principalOf(request);
    if (!roleAtLeast(principal.role, minimum)) {
      throw new AppError('forbidden', `This action requires the ${minimum} role or higher`, {
        requiredRole: minimum,
        role: principal.role,
      });
    }
  };
}
