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

/** Path without query string or trailing slash, the way the table is keyed. */
export function normalisePath(rawPath: string): string {
  const query = rawPath.indexOf('?');
  let path = query === -1 ? rawPath : rawPath.slice(0, query);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
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
