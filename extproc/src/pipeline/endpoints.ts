// Which requests the gateway understands. Anything not in this table is authenticated and forwarded untouched.

import type { Headers } from '../grpc/envoy-messages.js';
import { anthropicAdapter, openaiAdapter } from '../providers/index.js';
import type { ProviderAdapter, ProviderId } from '../providers/types.js';

export interface EndpointSpec {
  /** Stable, low-cardinality name for metrics and logs. */
  name: string;
  method: 'POST';
  path: string;
  adapter: ProviderAdapter;
}

const ENDPOINTS: ReadonlyMap<string, EndpointSpec> = new Map(
  [
    {
      name: 'chat_completions',
      method: 'POST' as const,
      path: '/v1/chat/completions',
      adapter: openaiAdapter,
    },
    { name: 'messages', method: 'POST' as const, path: '/v1/messages', adapter: anthropicAdapter },
  ].map((spec) => [spec.path, spec]),
);

/** Path without its query string: exactly what Envoy's path routes match, so both agree on the provider. */
export function normalisePath(rawPath: string): string {
  const query = rawPath.indexOf('?');
  return query === -1 ? rawPath : rawPath.slice(0, query);
}

export function findEndpoint(path: string): EndpointSpec | undefined {
  return ENDPOINTS.get(path);
}

/**
 * The provider a request is meant for when the path alone does not say (pass-through paths such as /v1/models):
 * the same rule Envoy's routes use, so errors come back in the shape the client's SDK expects.
 */
export function providerFromHeaders(headers: Headers): ProviderId {
  return headers.has('x-api-key') || headers.has('anthropic-version') ? 'anthropic' : 'openai';
}
