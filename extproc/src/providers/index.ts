// Entry point of the provider layer: the adapters and the provider-neutral types they share.
import { anthropicAdapter } from './anthropic.js';
import { openaiAdapter } from './openai.js';
import type { ProviderAdapter, ProviderId } from './types.js';

export { anthropicAdapter, anthropicUsage } from './anthropic.js';
export { openaiAdapter, openaiUsage } from './openai.js';
export {
  DEFAULT_MAX_PENDING_BYTES,
  type SseEvent,
  SseFramer,
  type SseFramerOptions,
  SseStreamObserver,
} from './sse.js';
export * from './types.js';

export const adapters: Readonly<Record<ProviderId, ProviderAdapter>> = Object.freeze({
  openai: openaiAdapter,
  anthropic: anthropicAdapter,
});

/** The adapter for a provider; throws for an id outside `ProviderId` (e.g. a typo in untyped config). */
export function adapterFor(provider: ProviderId): ProviderAdapter {
  const adapter: ProviderAdapter | undefined = Object.hasOwn(adapters, provider)
    ? adapters[provider]
    : undefined;
  if (adapter === undefined) throw new Error(`unknown provider: ${String(provider)}`);
  return adapter;
}
