// Opaque bearer secrets (session ids, API tokens) and password hashing. Secrets are stored only as SHA-256 digests:
// they are long random values, so a fast digest is enough and keeps per-request lookups cheap.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export const API_TOKEN_PREFIX = 'accp_';

export function digest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** `accp_` + 43 base64url characters (256 bits). */
export function newApiToken(): { token: string; digest: string; prefix: string } {
  const token = `${API_TOKEN_PREFIX}${randomSecret(32)}`;
  return { token, digest: digest(token), prefix: apiTokenPrefix(token) };
}

/** The visible part kept for listings and support, e.g. `accp_AbCd1234`. */
export function apiTokenPrefix(token: string): string {
  return token.slice(0, API_TOKEN_PREFIX.length + 8);
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

// argon2id (the library default algorithm) with OWASP's recommended minimums.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verifying against this when the email is unknown makes both failures take the same time (no user enumeration).
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomSecret(16));
  return dummyHash;
}
