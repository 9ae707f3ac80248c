// Bearer secrets minted by the control plane: gateway keys (`acc-…`, presented to Envoy by LLM clients) and API
// tokens (`accp_…`, presented to this API). Both are shown once; only a SHA-256 digest is stored, the same digest
// extproc computes on every request, so a database or snapshot leak does not leak usable keys.
import { randomBytes } from 'node:crypto';
import { digestKey } from '@acc/extproc/policy';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
// 248 = 4 × 62: bytes at or above it are rejected so every character is exactly equally likely (no modulo bias).
const REJECT_FROM = 248;

export const GATEWAY_KEY_PREFIX = 'acc-';
export const API_TOKEN_PREFIX = 'accp_';
/** 40 base62 characters ≈ 238 bits of entropy. */
export const SECRET_BODY_LENGTH = 40;
/** How much of a secret is stored and shown to identify it (e.g. `acc-AbCd`). */
export const VISIBLE_PREFIX_LENGTH = 8;

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // Ask for a little more than needed: about 3% of bytes are rejected.
    for (const byte of randomBytes(length - out.length + 8)) {
      if (byte >= REJECT_FROM) continue;
      out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export interface MintedSecret {
  /** The full secret: return it to the caller once, never store or log it. */
  secret: string;
  prefix: string;
  digest: string;
}

function mint(prefix: string): MintedSecret {
  const secret = prefix + randomBase62(SECRET_BODY_LENGTH);
  return { secret, prefix: secret.slice(0, VISIBLE_PREFIX_LENGTH), digest: digestKey(secret) };
}

export function mintGatewayKey(): MintedSecret {
  return mint(GATEWAY_KEY_PREFIX);
}

export function mintApiToken(): MintedSecret {
  return mint(API_TOKEN_PREFIX);
}

export { digestKey };
