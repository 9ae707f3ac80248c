// Login throttling per client IP + email, in memory and shared through Redis.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import {
  createOrg,
  createUser,
  errorOf,
  login,
  MASTER_KEY,
  PASSWORD,
  setupApp,
  type TestContext,
  type TestOrg,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

describe('login rate limit', () => {
  async function exhaust(app: TestContext['app'], email: string, limit: number) {
    const codes: number[] = [];
    for (let i = 0; i <= limit; i++) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password: 'definitely wrong' },
      });
      codes.push(response.statusCode);
      if (response.statusCode === 429) {
        expect(errorOf(response)).toMatchObject({ code: 'rate_limited' });
        expect(errorOf(response).details.retryAfterSeconds).toBeGreaterThan(0);
      }
    }
    return codes;
  }

  it('limits attempts per IP and email (in-memory store) and keys by email', async () => {
    const config = loadConfig({
      DATABASE_URL: ctx.url,
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_LOG_LEVEL: 'silent',
      ACC_LOGIN_RATE_LIMIT: '3',
    });
    const app = await buildApp({ config, db: ctx.db, logger: false });
    try {
      expect(await exhaust(app, org.owner.email, 3)).toEqual([401, 401, 401, 429]);
      // The right password does not get through either while limited.
      const blocked = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: org.owner.email, password: PASSWORD },
      });
      expect(blocked.statusCode).toBe(429);
      // Another email from the same IP has its own budget.
      const other = await createUser(ctx.db, org.id, 'viewer');
      expect((await login(app, other.email)).response.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('uses Redis when configured, so the limit holds across instances', async () => {
    const redisUrl = inject('REDIS_URL');
    const config = loadConfig({
      DATABASE_URL: ctx.url,
      REDIS_URL: redisUrl,
      ACC_MASTER_KEY: MASTER_KEY,
      ACC_LOG_LEVEL: 'silent',
      ACC_LOGIN_RATE_LIMIT: '2',
    });
    const redisA = new Redis(redisUrl);
    const redisB = new Redis(redisUrl);
    const appA = await buildApp({ config, db: ctx.db, redis: redisA, logger: false });
    const appB = await buildApp({ config, db: ctx.db, redis: redisB, logger: false });
    try {
      const email = `redis-limit-${Date.now()}@example.com`;
      const attempt = (app: typeof appA) =>
        app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'nope' } });
      expect((await attempt(appA)).statusCode).toBe(401);
      expect((await attempt(appB)).statusCode).toBe(401);
      expect((await attempt(appA)).statusCode).toBe(429);
      expect(await redisA.keys('acc:cp:ratelimit:*')).not.toHaveLength(0);
    } finally {
      await appA.close();
      await appB.close();
      redisA.disconnect();
      redisB.disconnect();
    }
  });
});
