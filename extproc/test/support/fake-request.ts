import type { Controls, HeaderMap } from './fake-common.js';

/** What a provider handler gets from the HTTP layer. */
export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: HeaderMap;
  body: Buffer;
  /** Parsed JSON body, or null when empty / not JSON. */
  json: unknown | null;
  /** True when a non-empty body failed to parse as JSON. */
  jsonError: boolean;
  controls: Controls;
  /** Whether the provider key is accepted (see FakeUpstreamOptions.openaiApiKeys / anthropicApiKeys). */
  acceptsKey(provider: 'openai' | 'anthropic', key: string): boolean;
  /** Milliseconds since the request arrived (for processing-time headers). */
  elapsedMs(): number;
}

/**
 * Default key policy: any non-empty key is accepted unless it contains "invalid" (so tests can provoke a 401
 * with e.g. `sk-invalid`), or when an explicit allow-list is configured, only the listed keys.
 */
export function defaultAcceptsKey(allowList: readonly string[] | undefined, key: string): boolean {
  if (key === '') return false;
  if (allowList !== undefined) return allowList.includes(key);
  return !key.toLowerCase().includes('invalid');
}

/** Model names the fake treats as nonexistent (404 like the real APIs); every other name is accepted. */
export function isUnknownModel(model: string): boolean {
  return /nonexistent|non-existent|does-not-exist|-wrong$|^unknown-model/i.test(model);
}
