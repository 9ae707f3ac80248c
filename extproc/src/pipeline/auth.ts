// Gateway keys: what a client presents instead of a provider key. Keys are held only as SHA-256 digests so a heap
// dump or log line never reveals one. The control plane will publish digests the same way.
import { createHash } from 'node:crypto';
import type { Headers } from '../grpc/envoy-messages.js';
import type { ProviderId } from '../providers/types.js';

export interface GatewayIdentity {
  keyId: string;
  /** null for bootstrap keys from the environment. */
  orgId: string | null;
  teamId: string | null;
  /** The user or service account that owns the key (null for bootstrap keys). */
  ownerId: string | null;
  /** Agent name fixed on the key, if any. */
  agent: string | null;
  /** Whether the client may name its agent in the x-acc-agent header. */
  allowAgentHeader: boolean;
  /** null = every model. */
  allowedModels: ReadonlySet<string> | null;
  /** Epoch milliseconds, or null for no expiry. */
  expiresAt: number | null;
}

export interface GatewayKeyStore {
  resolve(presentedKey: string): GatewayIdentity | null;
}

export function digestKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The key a client presented, where its SDK puts it: OpenAI's `Authorization: Bearer`, Anthropic's `x-api-key`
 * (the Anthropic SDK's authToken option also sends Bearer, so both are read for either provider).
 */
export function presentedKey(headers: Headers): string | null {
  const apiKey = headers.get('x-api-key');
  if (apiKey) return apiKey.trim();
  const authorization = headers.get('authorization');
  if (!authorization) return null;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1] ? match[1].trim() : null;
}

/** Headers that replace the client's gateway key with the provider's own credential. */
export function providerCredentialHeaders(
  provider: ProviderId,
  providerKey: string,
): { set: Array<[string, string]>; remove: string[] } {
  if (provider === 'openai')
    return { set: [['authorization', `Bearer ${providerKey}`]], remove: ['x-api-key'] };
  return { set: [['x-api-key', providerKey]], remove: ['authorization'] };
}
