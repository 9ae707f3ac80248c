// Endpoints only extproc calls (snapshot long-poll, key usage) authenticate with the shared ACC_INTERNAL_TOKEN.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { safeEqual } from './secrets.js';

/** An onRequest hook: runs before validation, so nothing about the endpoint is revealed without the token. */
export function requireInternalToken(token: string) {
  return async (request: FastifyRequest): Promise<void> => {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!presented || !safeEqual(presented, token)) {
      throw new AppError(
        'unauthenticated',
        'This endpoint needs "Authorization: Bearer <ACC_INTERNAL_TOKEN>"',
      );
    }
  };
}
