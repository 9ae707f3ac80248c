// Cross-cutting API behaviour: the error envelope, the OpenAPI document, and the ops endpoints.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createOrg, errorOf, setupApp, type TestContext, type TestOrg } from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

const as = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  ctx.app.inject({
    method,
    url,
    headers: org.owner.bearer,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

function expectEnvelope(body: string): void {
  const parsed = JSON.parse(body);
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(Object.keys(parsed.error).sort()).toEqual(['code', 'details', 'message']);
  expect(body).not.toMatch(/\bat .+\.(ts|js):\d+|stack/i);
}

describe('errors', () => {
  it.each([
    ['body', 'POST', '/api/v1/teams', { name: 42 }, 'name'],
    ['body', 'POST', '/api/v1/teams', { name: '' }, 'name'],
    [
      'body',
      'POST',
      '/api/v1/users',
      { email: 'not-an-email', name: 'n', password: 'x'.repeat(12), role: 'viewer' },
      'email',
    ],
    [
      'body',
      'POST',
      '/api/v1/users',
      { email: 'a@b.co', name: 'n', password: 'short', role: 'viewer' },
      'password',
    ],
    [
      'body',
      'POST',
      '/api/v1/users',
      { email: 'a@b.co', name: 'n', password: 'x'.repeat(12), role: 'god' },
      'role',
    ],
    ['querystring', 'GET', '/api/v1/teams?limit=0', undefined, 'limit'],
    ['querystring', 'GET', '/api/v1/teams?cursor=bogus', undefined, 'cursor'],
    ['params', 'GET', '/api/v1/teams/not-a-uuid', undefined, 'id'],
  ] as const)(
    'validation of %s → 400 validation_failed naming the field (%s %s)',
    async (location, method, url, payload, field) => {
      const response = await as(method, url, payload);
      expect(response.statusCode).toBe(400);
      expectEnvelope(response.body);
      expect(errorOf(response)).toMatchObject({ code: 'validation_failed', details: { field, location } });
      expect(errorOf(response).message).toContain(field);
    },
  );

  it('malformed JSON and wrong content types are 400/415 in the same envelope', async () => {
    const bad = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...org.owner.bearer, 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    expectEnvelope(bad.body);
    expect(errorOf(bad).code).toBe('bad_request');
    const xml = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...org.owner.bearer, 'content-type': 'application/xml' },
      payload: '<team/>',
    });
    expect(xml.statusCode).toBe(415);
    expect(errorOf(xml).code).toBe('unsupported_media_type');
  });

  it('unknown routes are 404 not_found', async () => {
    for (const url of ['/api/v1/nope', '/nope', '/api/v2/teams']) {
      const response = await as('GET', url);
      expect(response.statusCode).toBe(404);
      expectEnvelope(response.body);
      expect(errorOf(response).code).toBe('not_found');
    }
  });

  it('unexpected failures are 500 internal_error, logged, and never leak details', async () => {
    const logged: string[] = [];
    const app = await buildApp({
      config: ctx.config,
      db: ctx.db,
      logger: { level: 'error', stream: { write: (line: string) => logged.push(line) } },
    });
    app.get('/api/v1/boom', { config: { auth: false } }, async () => {
      throw new Error('database password is hunter2');
    });
    try {
      const response = await app.inject({ url: '/api/v1/boom' });
      expect(response.statusCode).toBe(500);
      expectEnvelope(response.body);
      expect(response.json()).toEqual({
        error: { code: 'internal_error', message: 'Internal server error', details: {} },
      });
      expect(logged.join('')).toContain('hunter2');
    } finally {
      await app.close();
    }
  });
});

describe('OpenAPI', () => {
  const ROUTES = [
    'POST /api/v1/auth/login',
    'POST /api/v1/auth/logout',
    'GET /api/v1/auth/session',
    'GET /api/v1/orgs/current',
    'PATCH /api/v1/orgs/current',
    'GET /api/v1/teams',
    'POST /api/v1/teams',
    'GET /api/v1/teams/{id}',
    'PATCH /api/v1/teams/{id}',
    'DELETE /api/v1/teams/{id}',
    'GET /api/v1/users',
    'POST /api/v1/users',
    'GET /api/v1/users/{id}',
    'PATCH /api/v1/users/{id}',
    'DELETE /api/v1/users/{id}',
    'GET /healthz',
    'GET /readyz',
    'GET /metrics',
  ];

  it('/api/docs/json lists every route, each backed by a real route, with error responses documented', async () => {
    const response = await ctx.app.inject({ url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json();
    expect(spec.openapi).toMatch(/^3\./);
    const documented: string[] = [];
    for (const [path, operations] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(
      spec.paths,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        documented.push(`${method.toUpperCase()} ${path}`);
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        expect(ctx.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method} ${path}`).toBe(
          true,
        );
        if (path.startsWith('/api/v1/')) expect(Object.keys(operation.responses)).toContain('4XX');
      }
    }
    expect(documented).toEqual(expect.arrayContaining(ROUTES));
    expect(spec.components.schemas).toHaveProperty('ErrorResponse');
    expect(spec.components.securitySchemes).toHaveProperty('apiToken');
  });

  it('serves the docs UI at /api/docs', async () => {
    const response = await ctx.app.inject({ url: '/api/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
  });
});

describe('ops endpoints', () => {
  it('/healthz and /readyz answer without credentials', async () => {
    expect((await ctx.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await ctx.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
  });

  it('/readyz checks Redis when configured and is 503 when it is down', async () => {
    const { inject } = await import('vitest');
    const good = new Redis(inject('REDIS_URL'));
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => {});
    const okApp = await buildApp({ config: ctx.config, db: ctx.db, redis: good, logger: false });
    const badApp = await buildApp({ config: ctx.config, db: ctx.db, redis: down, logger: false });
    try {
      expect((await okApp.inject({ url: '/readyz' })).json()).toEqual({
        status: 'ready',
        checks: { database: 'ok', redis: 'ok' },
      });
      const bad = await badApp.inject({ url: '/readyz' });
      expect(bad.statusCode).toBe(503);
      expect(bad.json()).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'failed' } });
    } finally {
      await okApp.close();
      await badApp.close();
      good.disconnect();
      down.disconnect();
    }
  });

  it('/metrics exposes request durations by route template and pool gauges', async () => {
    await as('GET', '/api/v1/teams');
    await as('GET', `/api/v1/teams/${crypto.randomUUID()}`);
    const response = await ctx.app.inject({ url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatch(
      /acc_cp_http_request_duration_seconds_count\{route="\/api\/v1\/teams",method="GET",status="200"\} \d+/,
    );
    expect(response.body).toContain('route="/api/v1/teams/:id",method="GET",status="404"');
    expect(response.body).toMatch(/acc_cp_db_pool_connections\{state="total"\} \d+/);
    expect(response.body).toMatch(/acc_cp_db_pool_connections\{state="waiting"\} \d+/);
  });
});
