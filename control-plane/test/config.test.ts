import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { MASTER_KEY } from './support/fixtures.js';

const stateDir = mkdtempSync(join(tmpdir(), 'acc-config-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const withUrl = { DATABASE_URL: 'postgres://acc@db.internal:5432/acc', ACC_MASTER_KEY: MASTER_KEY };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(withUrl);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      redisUrl: null,
      admin: null,
      adminToken: null,
      orgName: 'Default',
      sessionTtlHours: 12,
      loginRateLimit: 10,
      logLevel: 'info',
      internalToken: null,
      trustProxy: false,
    });
    expect(config.masterKey.key).toHaveLength(32);
  });

  it('generates the master key and internal token into the state dir in embedded mode, once', () => {
    const first = loadConfig({}, { stateDir });
    const second = loadConfig({}, { stateDir });
    expect(first.databaseUrl).toBeNull();
    expect(second.masterKey.id).toBe(first.masterKey.id);
    expect(second.internalToken).toBe(first.internalToken);
    expect(readFileSync(join(stateDir, 'master-key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(stateDir, 'master-key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'internal-token')).mode & 0o777).toBe(0o600);
  });

  it.each([
    [{ DATABASE_URL: 'postgres://x@y/z' }, /ACC_MASTER_KEY is required when DATABASE_URL is set/],
    [{ ...withUrl, ACC_MASTER_KEY: 'too short' }, /ACC_MASTER_KEY must be 32 bytes/],
    [
      { ...withUrl, DATABASE_URL: 'mysql://x@y/z' },
      /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//,
    ],
    [{ ...withUrl, REDIS_URL: 'not a url' }, /REDIS_URL is not a valid URL/],
    [{ ...withUrl, ACC_CP_PORT: '99999' }, /ACC_CP_PORT must be an integer from 0 to 65535/],
    [{ ...withUrl, ACC_SESSION_TTL_HOURS: 'soon' }, /ACC_SESSION_TTL_HOURS must be an integer/],
    [{ ...withUrl, ACC_LOGIN_RATE_LIMIT: '0' }, /ACC_LOGIN_RATE_LIMIT must be an integer from 1/],
    [{ ...withUrl, ACC_LOG_LEVEL: 'loud' }, /ACC_LOG_LEVEL must be one of/],
    [{ ...withUrl, ACC_ADMIN_EMAIL: 'a@b.c' }, /ACC_ADMIN_EMAIL and ACC_ADMIN_PASSWORD must be set together/],
    [
      { ...withUrl, ACC_ADMIN_EMAIL: 'a@b.c', ACC_ADMIN_PASSWORD: 'short' },
      /ACC_ADMIN_PASSWORD must be 12 to/,
    ],
    [
      { ...withUrl, ACC_ADMIN_EMAIL: 'a@b.c', ACC_ADMIN_PASSWORD: 'x'.repeat(12), ACC_ADMIN_TOKEN: 'abc' },
      /ACC_ADMIN_TOKEN must be "accp_"/,
    ],
    [{ ...withUrl, ACC_ADMIN_TOKEN: `accp_${'a'.repeat(40)}` }, /ACC_ADMIN_TOKEN needs ACC_ADMIN_EMAIL/],
    [{ ...withUrl, ACC_INTERNAL_TOKEN: 'short' }, /ACC_INTERNAL_TOKEN must be at least 32/],
    [{ ...withUrl, ACC_CP_TRUST_PROXY: 'maybe' }, /ACC_CP_TRUST_PROXY must be true or false/],
  ])('rejects %o with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env as Record<string, string>, { stateDir })).toThrow(ConfigError);
    expect(() => loadConfig(env as Record<string, string>, { stateDir })).toThrow(message);
  });
});
