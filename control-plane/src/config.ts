// Environment configuration, validated once at start so a typo fails loudly with the variable's name instead of
// surfacing later as a confusing runtime error.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MasterKey, MasterKeyError, parseMasterKey } from '@acc/extproc/policy';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const API_TOKEN_PATTERN = /^accp_[A-Za-z0-9_-]{32,}$/;
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** `.acc/` at the repository root: the same from src/ (tests, tsx) and dist/ (built). */
export const DEFAULT_STATE_DIR = fileURLToPath(new URL('../../.acc', import.meta.url));

export interface Config {
  host: string;
  port: number;
  /** null = embedded PGlite. */
  databaseUrl: string | null;
  redisUrl: string | null;
  masterKey: MasterKey;
  admin: { email: string; password: string } | null;
  adminToken: string | null;
  orgName: string;
  sessionTtlHours: number;
  /** Login attempts per minute per client IP + email. */
  loginRateLimit: number;
  logLevel: LogLevel;
  /** Shared secret extproc presents to long-poll snapshots; null disables that endpoint. */
  internalToken: string | null;
  /** Honour X-Forwarded-* (for https detection behind a TLS-terminating proxy). */
  trustProxy: boolean;
  /** Where embedded mode keeps `pglite/`, `master-key` and `internal-token`. */
  stateDir: string;
  /** Budget alert loop (see alerts/): evaluation interval, delivery attempts and timeout, per-budget gauges. */
  alerts: { intervalMs: number; maxAttempts: number; timeoutMs: number; metricsTopN: number };
  /** How long a ledger batch read by a writer that died stays pending before another writer claims it. */
  ledgerClaimIdleMs: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function boolean(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase() ?? 'false';
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = text(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

/** Reads a generated secret from the state dir, creating it (owner-only permissions) on first start. */
function stateSecret(stateDir: string, file: string, generate: () => string): string {
  const path = join(stateDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(stateDir, { recursive: true });
  const value = generate();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return value;
}

export function loadConfig(env: Env = process.env, options: { stateDir?: string } = {}): Config {
  const stateDir = options.stateDir ?? text(env, 'ACC_STATE_DIR') ?? DEFAULT_STATE_DIR;
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);

  let masterKeyText = text(env, 'ACC_MASTER_KEY');
  if (masterKeyText === null) {
    if (databaseUrl !== null) {
      throw new ConfigError(
        'ACC_MASTER_KEY is required when DATABASE_URL is set (32 bytes as hex or base64: openssl rand -hex 32)',
      );
    }
    masterKeyText = stateSecret(stateDir, 'master-key', () => randomBytes(32).toString('hex'));
  }
  let masterKey: MasterKey;
  try {
    masterKey = parseMasterKey(masterKeyText);
  } catch (error) {
    if (error instanceof MasterKeyError) throw new ConfigError(error.message);
    throw error;
  }

  let internalToken = text(env, 'ACC_INTERNAL_TOKEN');
  if (internalToken === null && databaseUrl === null) {
    internalToken = stateSecret(stateDir, 'internal-token', () => randomBytes(32).toString('base64url'));
  }
  if (internalToken !== null && internalToken.length < 32) {
    throw new ConfigError('ACC_INTERNAL_TOKEN must be at least 32 characters (openssl rand -hex 32)');
  }

  const adminEmail = text(env, 'ACC_ADMIN_EMAIL')?.toLowerCase() ?? null;
  const adminPassword = env.ACC_ADMIN_PASSWORD ?? null;
  if ((adminEmail === null) !== (adminPassword === null || adminPassword === '')) {
    throw new ConfigError('ACC_ADMIN_EMAIL and ACC_ADMIN_PASSWORD must be set together');
  }
  if (adminEmail !== null && !/^[^@\s]+@[^@\s]+$/.test(adminEmail)) {
    throw new ConfigError('ACC_ADMIN_EMAIL is not an email address');
  }
  if (
    adminPassword &&
    (adminPassword.length < PASSWORD_MIN_LENGTH || adminPassword.length > PASSWORD_MAX_LENGTH)
  ) {
    throw new ConfigError(
      `ACC_ADMIN_PASSWORD must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`,
    );
  }
  const adminToken = text(env, 'ACC_ADMIN_TOKEN');
  if (adminToken !== null && !API_TOKEN_PATTERN.test(adminToken)) {
    throw new ConfigError('ACC_ADMIN_TOKEN must be "accp_" followed by at least 32 characters [A-Za-z0-9_-]');
  }
  if (adminToken !== null && adminEmail === null) {
    throw new ConfigError(
      'ACC_ADMIN_TOKEN needs ACC_ADMIN_EMAIL and ACC_ADMIN_PASSWORD: it belongs to that user',
    );
  }

  const logLevel = (text(env, 'ACC_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`ACC_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  return {
    host: text(env, 'ACC_CP_HOST') ?? '127.0.0.1',
    port: integer(env, 'ACC_CP_PORT', 8080, 0, 65535),
    databaseUrl,
    redisUrl,
    masterKey,
    admin: adminEmail !== null && adminPassword ? { email: adminEmail, password: adminPassword } : null,
    adminToken,
    orgName: text(env, 'ACC_ORG_NAME') ?? 'Default',
    sessionTtlHours: integer(env, 'ACC_SESSION_TTL_HOURS', 12, 1, 24 * 30),
    loginRateLimit: integer(env, 'ACC_LOGIN_RATE_LIMIT', 10, 1, 10_000),
    logLevel: logLevel as LogLevel,
    internalToken,
    trustProxy: boolean(env, 'ACC_CP_TRUST_PROXY'),
    stateDir,
    alerts: {
      intervalMs: integer(env, 'ACC_ALERT_INTERVAL_MS', 15_000, 100, 3_600_000),
      maxAttempts: integer(env, 'ACC_ALERT_MAX_ATTEMPTS', 8, 1, 100),
      timeoutMs: integer(env, 'ACC_ALERT_TIMEOUT_MS', 5_000, 100, 60_000),
      metricsTopN: integer(env, 'ACC_BUDGET_METRICS_TOP_N', 50, 0, 10_000),
    },
    ledgerClaimIdleMs: integer(env, 'ACC_LEDGER_CLAIM_IDLE_MS', 60_000, 1_000, 3_600_000),
  };
}
