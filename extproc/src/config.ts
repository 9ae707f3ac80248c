// extproc configuration from the environment, validated once at start so a typo fails loudly instead of
// surfacing as a strange runtime behaviour. Every variable is documented in README.md and .env.example.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BudgetFailureMode, parseBudgetFailureMode } from './budgets/resilient-store.js';
import { type MasterKey, MasterKeyError, parseMasterKey } from './policy/sealed-secret.js';
import {
  DeploymentConfigError,
  parseDeploymentCredentials,
  parseProviderDefaultUpstream,
  parseUpstreamList,
} from './routing/deployment-upstreams.js';
import { findCaBundle } from './routing/deployment-writer.js';
import type { DeploymentClusterSettings } from './routing/envoy-deployments.js';
import { BALANCE_STRATEGIES, type BalanceStrategy } from './routing/targets.js';
import {
  parseSecurityOverrides,
  SecurityPolicyError,
  type SecurityPolicyOverrides,
} from './security/policy.js';

export interface ExtprocConfig {
  /**
   * V8's old-generation growth factor, as (1 + percent/100); 0 = V8's own choice. Applied by main.ts only: it is a
   * process-wide setting, not one for an extproc embedded in another process (tests).
   */
  heapGrowingPercent: number;
  grpcHost: string;
  grpcPort: number;
  metricsHost: string;
  metricsPort: number;
  /** Gateway keys accepted until the control plane manages keys (ACC_BOOTSTRAP_KEY, comma-separated). */
  bootstrapKeys: string[];
  providerKeys: { openai: string | null; anthropic: string | null };
  maxRequestBytes: number;
  /** Largest JSON response we buffer to read usage; larger bodies pass through unaccounted (and are counted). */
  maxResponseBufferBytes: number;
  /**
   * Envoy's max_message_timeout (ACC_EXTPROC_MAX_MESSAGE_TIMEOUT_MS; the launcher gives Envoy the same value). With
   * pipelined bodies, a large or chunked upload extends the held headers reply's timer to it.
   */
  maxMessageTimeoutMs: number;
  /** Raw JSON text of per-model price overrides (ACC_PRICE_OVERRIDES, inline or @path). */
  priceOverridesJson: string | null;
  /** Refuse requests for models without a known price instead of forwarding them unpriced. */
  denyUnpricedModels: boolean;
  /** Policy snapshots from Redis (REDIS_URL); takes precedence over the control plane long-poll. */
  redisUrl: string | null;
  /** Policy snapshots by long-polling the control plane (ACC_CONTROL_PLANE_URL + ACC_INTERNAL_TOKEN). */
  controlPlaneUrl: string | null;
  internalToken: string | null;
  /** ACC_MASTER_KEY, then ACC_MASTER_KEY_PREVIOUS during a rotation: open sealed provider credentials. */
  masterKeys: MasterKey[];
  logLevel: string;
  /** Include prompt/response excerpts in debug logs. Off by default: prompts are customer data. */
  logPrompts: boolean;
  /** Where spend records wait (fsync'd JSONL) while Redis or the control plane is unreachable. */
  ledgerSpoolDir: string;
  /** ClawShield scanning (ACC_SECURITY_ENABLED); off removes the security stage from the request path. */
  securityEnabled: boolean;
  /** Gateway-wide security policy under every org's own (ACC_SECURITY_POLICY, inline JSON or @path). */
  securityPolicy: SecurityPolicyOverrides | null;
  /** Where the Envoy deployment clusters are written (ACC_ENVOY_DYNAMIC_DIR); null = routing to deployments is off. */
  envoyDynamicDir: string | null;
  /** Upstreams, credentials and cooldown of deployment clusters (ACC_UPSTREAMS, ACC_DEPLOYMENT_*). */
  deploymentClusters: DeploymentClusterSettings;
  /** How a rule's model served by several deployments picks one (ACC_ROUTING_BALANCE). */
  routingBalance: BalanceStrategy;
  /** Output cap injected into requests under a budget or rate limit that set none (ACC_BUDGET_DEFAULT_MAX_TOKENS). */
  budgetDefaultMaxTokens: number;
  /** Lifetime of a budget reservation whose replica never settles it (ACC_BUDGET_RESERVATION_TTL_MS). */
  budgetReservationTtlMs: number;
  /** With Redis unreachable: closed refuses (503), open enforces per replica in memory (ACC_BUDGET_FAILURE_MODE). */
  budgetFailureMode: BudgetFailureMode;
  /** Forward unpriced models under dollar budgets at $0 instead of refusing them (ACC_BUDGET_ALLOW_UNPRICED). */
  budgetAllowUnpriced: boolean;
  /** Without Redis: how often in-memory budget counters are topped up from the control plane's ledger. */
  budgetSeedIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

function optional(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

export function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readSecurityPolicy(env: Env): SecurityPolicyOverrides | null {
  let raw = optional(env, 'ACC_SECURITY_POLICY');
  if (raw === null) return null;
  if (raw.startsWith('@')) {
    try {
      raw = readFileSync(raw.slice(1), 'utf8');
    } catch (error) {
      throw new ConfigError(`ACC_SECURITY_POLICY: cannot read ${raw.slice(1)}: ${(error as Error).message}`);
    }
  }
  try {
    return parseSecurityOverrides(JSON.parse(raw));
  } catch (error) {
    if (error instanceof SecurityPolicyError || error instanceof SyntaxError) {
      throw new ConfigError(`ACC_SECURITY_POLICY: ${error.message}`);
    }
    throw error;
  }
}

function readDeploymentClusters(env: Env): DeploymentClusterSettings {
  try {
    return {
      upstreams: parseUpstreamList(env.ACC_UPSTREAMS),
      providerUpstreams: {
        openai: parseProviderDefaultUpstream(
          'openai',
          str(env, 'ACC_OPENAI_BASE_URL', 'https://api.openai.com'),
          'ACC_OPENAI_BASE_URL',
        ),
        anthropic: parseProviderDefaultUpstream(
          'anthropic',
          str(env, 'ACC_ANTHROPIC_BASE_URL', 'https://api.anthropic.com'),
          'ACC_ANTHROPIC_BASE_URL',
        ),
      },
      credentials: parseDeploymentCredentials(env.ACC_DEPLOYMENT_CREDENTIALS),
      caBundlePath: findCaBundle(),
      cooldownMs: parseInteger(env, 'ACC_DEPLOYMENT_COOLDOWN_MS', 30_000, 100, 3_600_000),
      failuresBeforeCooldown: parseInteger(env, 'ACC_DEPLOYMENT_COOLDOWN_FAILURES', 3, 1, 1000),
      connectTimeoutMs: 5000,
    };
  } catch (error) {
    if (error instanceof DeploymentConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function readBudgetFailureMode(env: Env): BudgetFailureMode {
  try {
    return parseBudgetFailureMode(env.ACC_BUDGET_FAILURE_MODE?.trim());
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

function readRoutingBalance(env: Env): BalanceStrategy {
  const raw = str(env, 'ACC_ROUTING_BALANCE', 'weighted');
  if (!(BALANCE_STRATEGIES as readonly string[]).includes(raw)) {
    throw new ConfigError(
      `ACC_ROUTING_BALANCE must be one of ${BALANCE_STRATEGIES.join(', ')}, got "${raw}"`,
    );
  }
  return raw as BalanceStrategy;
}

export function loadExtprocConfig(env: Env = process.env): ExtprocConfig {
  const logLevel = str(env, 'ACC_LOG_LEVEL', 'info');
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`ACC_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const bootstrapKeys = (env.ACC_BOOTSTRAP_KEY ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  for (const key of bootstrapKeys) {
    if (key.length < 16) throw new ConfigError('ACC_BOOTSTRAP_KEY: each key must be at least 16 characters');
  }
  let priceOverridesJson = optional(env, 'ACC_PRICE_OVERRIDES');
  if (priceOverridesJson?.startsWith('@')) {
    const path = priceOverridesJson.slice(1);
    try {
      priceOverridesJson = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError(`ACC_PRICE_OVERRIDES: cannot read ${path}: ${(error as Error).message}`);
    }
  }
  const controlPlaneUrl = optional(env, 'ACC_CONTROL_PLANE_URL')?.replace(/\/+$/, '') ?? null;
  const internalToken = optional(env, 'ACC_INTERNAL_TOKEN');
  if (controlPlaneUrl && !/^https?:\/\/[^/]+/.test(controlPlaneUrl)) {
    throw new ConfigError(`ACC_CONTROL_PLANE_URL must be an http(s) URL, got "${controlPlaneUrl}"`);
  }
  if (controlPlaneUrl && !internalToken) {
    throw new ConfigError(
      'ACC_CONTROL_PLANE_URL is set but ACC_INTERNAL_TOKEN is not: extproc cannot authenticate',
    );
  }
  const masterKeys: MasterKey[] = [];
  for (const name of ['ACC_MASTER_KEY', 'ACC_MASTER_KEY_PREVIOUS']) {
    const value = optional(env, name);
    if (!value) continue;
    try {
      masterKeys.push(parseMasterKey(value, name));
    } catch (error) {
      if (error instanceof MasterKeyError) throw new ConfigError(error.message);
      throw error;
    }
  }
  return {
    heapGrowingPercent: parseInteger(env, 'ACC_EXTPROC_HEAP_GROWING_PERCENT', 100, 0, 1000),
    grpcHost: str(env, 'ACC_EXTPROC_HOST', '127.0.0.1'),
    grpcPort: parseInteger(env, 'ACC_EXTPROC_PORT', 50051, 1, 65535),
    metricsHost: str(env, 'ACC_METRICS_HOST', '127.0.0.1'),
    metricsPort: parseInteger(env, 'ACC_METRICS_PORT', 9464, 0, 65535),
    bootstrapKeys,
    providerKeys: { openai: optional(env, 'OPENAI_API_KEY'), anthropic: optional(env, 'ANTHROPIC_API_KEY') },
    maxRequestBytes: parseInteger(env, 'ACC_MAX_REQUEST_BYTES', 10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxResponseBufferBytes: parseInteger(
      env,
      'ACC_MAX_RESPONSE_BUFFER_BYTES',
      16 * 1024 * 1024,
      1024,
      512 * 1024 * 1024,
    ),
    maxMessageTimeoutMs: parseInteger(env, 'ACC_EXTPROC_MAX_MESSAGE_TIMEOUT_MS', 10_000, 10, 600_000),
    priceOverridesJson,
    denyUnpricedModels: parseBoolean(env, 'ACC_DENY_UNPRICED_MODELS', false),
    redisUrl: optional(env, 'REDIS_URL'),
    controlPlaneUrl,
    internalToken,
    masterKeys,
    logLevel,
    logPrompts: parseBoolean(env, 'ACC_LOG_PROMPTS', false),
    // Under the state dir when there is one (the launcher's, a container volume): a spool must outlive the process.
    ledgerSpoolDir: resolve(
      optional(env, 'ACC_LEDGER_SPOOL_DIR') ??
        join(optional(env, 'ACC_STATE_DIR') ?? join(process.cwd(), '.acc'), 'ledger-spool'),
    ),
    securityEnabled: parseBoolean(env, 'ACC_SECURITY_ENABLED', true),
    securityPolicy: readSecurityPolicy(env),
    envoyDynamicDir: optional(env, 'ACC_ENVOY_DYNAMIC_DIR'),
    deploymentClusters: readDeploymentClusters(env),
    routingBalance: readRoutingBalance(env),
    budgetDefaultMaxTokens: parseInteger(env, 'ACC_BUDGET_DEFAULT_MAX_TOKENS', 4096, 1, 1_000_000),
    budgetReservationTtlMs: parseInteger(env, 'ACC_BUDGET_RESERVATION_TTL_MS', 900_000, 10_000, 86_400_000),
    budgetFailureMode: readBudgetFailureMode(env),
    budgetAllowUnpriced: parseBoolean(env, 'ACC_BUDGET_ALLOW_UNPRICED', false),
    budgetSeedIntervalMs: parseInteger(env, 'ACC_BUDGET_SEED_INTERVAL_MS', 60_000, 1_000, 86_400_000),
  };
}
