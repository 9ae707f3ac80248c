// The launcher's own settings (Envoy side); extproc's are validated by extproc's loadExtprocConfig.
import { ConfigError, parseBoolean, parseInteger } from '@acc/extproc';

export interface LauncherConfig {
  host: string;
  port: number;
  adminPort: number;
  failOpen: boolean;
  messageTimeoutMs: number;
  /** ACC_EXTPROC_MAX_MESSAGE_TIMEOUT_MS: the longest extproc may extend a message's timer to (read by extproc too). */
  maxMessageTimeoutMs: number;
  /** ACC_EXTPROC_PIPELINED_BODIES: one ext_proc round trip per direction (envoy/src/bootstrap.ts). */
  pipelinedBodies: boolean;
  envoyConcurrency: number;
  accessLog: boolean;
  upstreams: { openai: string; anthropic: string };
  /** Retries of a fallback chain after its first deployment (ACC_FALLBACK_MAX_RETRIES). */
  maxFallbackRetries: number;
}

export function loadLauncherConfig(env: NodeJS.ProcessEnv): LauncherConfig {
  const host = env.ACC_HOST?.trim() || '127.0.0.1';
  if (!/^[\w.:-]+$/.test(host))
    throw new ConfigError(`ACC_HOST must be an IP address or host name, got "${host}"`);
  const failOpen = parseBoolean(env, 'ACC_FAIL_OPEN', false);
  const messageTimeoutMs = parseInteger(env, 'ACC_EXTPROC_MESSAGE_TIMEOUT_MS', 1000, 10, 60_000);
  const maxMessageTimeoutMs = parseInteger(env, 'ACC_EXTPROC_MAX_MESSAGE_TIMEOUT_MS', 10_000, 10, 600_000);
  if (maxMessageTimeoutMs < messageTimeoutMs) {
    throw new ConfigError(
      'ACC_EXTPROC_MAX_MESSAGE_TIMEOUT_MS must be at least ACC_EXTPROC_MESSAGE_TIMEOUT_MS',
    );
  }
  // On by default, except with fail-open, which it cannot be combined with.
  const pipelinedBodies = parseBoolean(env, 'ACC_EXTPROC_PIPELINED_BODIES', !failOpen);
  if (failOpen && pipelinedBodies) {
    throw new ConfigError(
      'ACC_EXTPROC_PIPELINED_BODIES needs ACC_FAIL_OPEN=false: with fail-open, a client uploading slower than ' +
        'ACC_EXTPROC_MESSAGE_TIMEOUT_MS would get its request forwarded unchecked',
    );
  }
  return {
    host,
    port: parseInteger(env, 'ACC_PORT', 10000, 1, 65535),
    adminPort: parseInteger(env, 'ACC_ADMIN_PORT', 9901, 1, 65535),
    failOpen,
    messageTimeoutMs,
    maxMessageTimeoutMs,
    pipelinedBodies,
    envoyConcurrency: parseInteger(env, 'ACC_ENVOY_CONCURRENCY', 2, 1, 256),
    accessLog: parseBoolean(env, 'ACC_ACCESS_LOG', false),
    maxFallbackRetries: parseInteger(env, 'ACC_FALLBACK_MAX_RETRIES', 2, 0, 10),
    upstreams: {
      openai: env.ACC_OPENAI_BASE_URL?.trim() || 'https://api.openai.com',
      anthropic: env.ACC_ANTHROPIC_BASE_URL?.trim() || 'https://api.anthropic.com',
    },
  };
}
