// ClawShield in the control plane: policies per org and team (validated with extproc's own rules, audited,
// republished), and security events stored idempotently from request records and listed per org.
import { DEFAULT_SECURITY_POLICY } from '@acc/extproc/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot } from '../src/policy/compile.js';
import { insertSecurityEvents, type SecurityEventSource } from '../src/security/events-repository.js';
import {
  createOrg,
  createUser,
  errorOf,
  setupApp,
  type TestContext,
  type TestOrg,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let other: TestOrg;

const api = (method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object, headers = org.owner.bearer) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  other = await createOrg(ctx.db);
});
afterAll(async () => ctx?.close());

async function createTeam(name: string): Promise<string> {
  const response = await ctx.app.inject({
    method: 'POST',
    url: '/api/v1/teams',
    headers: org.owner.bearer,
    payload: { name },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ id: string }>().id;
}

describe('security policy API', () => {
  it('starts from the built-in default, and a PUT layers the org over it and republishes', async () => {
    const initial = await api('GET', '/security/policy');
    expect(initial.statusCode).toBe(200);
    expect(initial.json()).toMatchObject({ orgId: org.id, teamId: null, configured: null, updatedAt: null });
    expect(initial.json().effective).toEqual(DEFAULT_SECURITY_POLICY);

    const published = ctx.published.length;
    const put = await api('PUT', '/security/policy', {
      actions: { secrets: { critical: 'block' } },
      deniedTools: ['shell_*'],
      deniedArgumentPatterns: ['rm\\s+-rf\\s+/'],
      failMode: 'closed',
    });
    expect(put.statusCode).toBe(200);
    const view = put.json();
    expect(view.configured).toEqual({
      actions: { secrets: { critical: 'block' } },
      deniedTools: ['shell_*'],
      deniedArgumentPatterns: ['rm\\s+-rf\\s+/'],
      failMode: 'closed',
    });
    expect(view.effective.actions.secrets).toEqual({
      ...DEFAULT_SECURITY_POLICY.actions.secrets,
      critical: 'block',
    });
    expect(view.effective.failMode).toBe('closed');
    expect(view.effective.scanResponses).toBe(DEFAULT_SECURITY_POLICY.scanResponses);
    expect(ctx.published.slice(published)).toEqual([org.id]);

    const snapshot = await ctx.db.withAdmin((tx) => compileSnapshot(tx, 1));
    expect(snapshot.security).toContainEqual({ ...view.configured, orgId: org.id, teamId: null });

    const { rows } = await ctx.db.pool.query(
      `SELECT action, after FROM audit_log WHERE org_id = $1 AND resource_type = 'security_policy'`,
      [org.id],
    );
    expect(rows.map((row) => row.action)).toEqual(['security_policy.create']);
    expect(JSON.parse(rows[0]?.after.settings).actions.secrets.critical).toBe('block');
  });

  it('a team inherits the org and overrides it; DELETE puts the org policy back', async () => {
    const teamId = await createTeam('security-team');
    await api('PUT', '/security/policy', {
      actions: { secrets: { critical: 'block' } },
      scanResponses: false,
    });
    const inherited = await api('GET', `/security/policy/teams/${teamId}`);
    expect(inherited.json()).toMatchObject({ teamId, configured: null });
    expect(inherited.json().effective).toMatchObject({
      scanResponses: false,
      actions: { secrets: { critical: 'block' } },
    });

    const put = await api('PUT', `/security/policy/teams/${teamId}`, {
      actions: { secrets: { critical: 'flag' } },
      allowedTools: ['search', 'read_*'],
    });
    expect(put.statusCode).toBe(200);
    expect(put.json().effective).toMatchObject({
      scanResponses: false,
      allowedTools: ['search', 'read_*'],
      actions: { secrets: { critical: 'flag' } },
    });
    expect((await api('DELETE', `/security/policy/teams/${teamId}`)).statusCode).toBe(204);
    expect((await api('GET', `/security/policy/teams/${teamId}`)).json().configured).toBeNull();
    expect((await api('DELETE', `/security/policy/teams/${teamId}`)).statusCode).toBe(404);
  });

  it('refuses bad settings with the field to fix', async () => {
    const badPattern = await api('PUT', '/security/policy', { deniedArgumentPatterns: ['ok', '(a+'] });
    expect(badPattern.statusCode).toBe(400);
    expect(errorOf(badPattern)).toMatchObject({
      code: 'validation_failed',
      details: { field: 'deniedArgumentPatterns.1' },
    });
    const backtracking = await api('PUT', '/security/policy', { deniedArgumentPatterns: ['(\\w)\\1'] });
    expect(backtracking.statusCode).toBe(400);
    const badAction = await api('PUT', '/security/policy', { actions: { secrets: { critical: 'explode' } } });
    expect(badAction.statusCode).toBe(400);
    const unknownDetector = await api('PUT', '/security/policy', { actions: { telepathy: { low: 'flag' } } });
    expect(unknownDetector.statusCode).toBe(400);
    const badRunaway = await api('PUT', '/security/policy', { runaway: { repeatThreshold: 1 } });
    expect(badRunaway.statusCode).toBe(400);
  });

  it('needs admin to write and knows only the caller org teams', async () => {
    const viewer = await createUser(ctx.db, org.id, 'viewer');
    expect((await api('GET', '/security/policy', undefined, viewer.bearer)).statusCode).toBe(200);
    expect((await api('PUT', '/security/policy', {}, viewer.bearer)).statusCode).toBe(403);
    const teamId = await createTeam('not-for-others');
    const foreign = await api('PUT', `/security/policy/teams/${teamId}`, {}, other.owner.bearer);
    expect(foreign.statusCode).toBe(404);
  });
});

describe('security events', () => {
  const finding = (fingerprint: string, overrides: Record<string, unknown> = {}) => ({
    detector: 'secrets',
    rule: 'openai_api_key',
    severity: 'critical',
    confidence: 0.97,
    action: 'redact',
    fingerprint,
    location: { kind: 'message', messageIndex: 0, role: 'user', partIndex: 0, start: 12, spanLength: 96 },
    maskedExcerpt: 'sk-p…[92 chars masked]',
    ...overrides,
  });
  const record = (
    requestId: string,
    orgId: string,
    startedAt: number,
    findings: unknown[],
  ): SecurityEventSource => ({
    requestId,
    orgId,
    teamId: null,
    keyId: `key-${requestId}`,
    agent: 'triage-bot',
    startedAt,
    securityFindings: findings,
  });

  it('are inserted once per finding however often a record is delivered, and malformed ones are skipped', async () => {
    const t0 = Date.parse('2026-01-05T10:00:00Z');
    const records = [
      record('req-a', org.id, t0, [
        finding('aaaaaaaaaaaaaaaa'),
        finding('bbbbbbbbbbbbbbbb', { action: 'block', severity: 'high' }),
      ]),
      record('req-b', org.id, t0 + 1000, [
        finding('cccccccccccccccc', {
          detector: 'prompt_injection',
          rule: 'ignore_previous',
          action: 'block',
        }),
        { detector: 'secrets', fingerprint: 'not hex' },
      ]),
      record('req-c', other.id, t0 + 2000, [finding('dddddddddddddddd')]),
      record('req-d', org.id, t0 + 3000, []),
    ];
    const first = await ctx.db.withAdmin((tx) => insertSecurityEvents(tx, records));
    expect(first).toEqual({ inserted: 4, skipped: 1 });
    const again = await ctx.db.withAdmin((tx) => insertSecurityEvents(tx, records));
    expect(again).toEqual({ inserted: 0, skipped: 1 });
  });

  it('are listed newest first for the caller org only, filtered and paged', async () => {
    const all = await api('GET', '/security/events');
    expect(all.statusCode).toBe(200);
    const items = all.json().items as Array<Record<string, unknown>>;
    expect(items.map((item) => item.requestId)).toEqual(['req-b', 'req-a', 'req-a']);
    expect(items[0]).toMatchObject({
      detector: 'prompt_injection',
      action: 'block',
      keyId: 'key-req-b',
      agent: 'triage-bot',
      location: {
        kind: 'message',
        messageIndex: 0,
        role: 'user',
        partIndex: 0,
        spanStart: 12,
        spanLength: 96,
      },
      maskedExcerpt: 'sk-p…[92 chars masked]',
      createdAt: '2026-01-05T10:00:01.000Z',
    });

    const blocked = await api('GET', '/security/events?action=block&detector=secrets');
    expect(blocked.json().items.map((item: { fingerprint: string }) => item.fingerprint)).toEqual([
      'bbbbbbbbbbbbbbbb',
    ]);
    const byRequest = await api('GET', '/security/events?requestId=req-a&severity=critical');
    expect(byRequest.json().items).toHaveLength(1);
    const window = await api(
      'GET',
      `/security/events?from=${encodeURIComponent('2026-01-05T10:00:00.500Z')}&to=${encodeURIComponent('2026-01-05T10:00:02Z')}`,
    );
    expect(window.json().items.map((item: { requestId: string }) => item.requestId)).toEqual(['req-b']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await api('GET', `/security/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      const body = page.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      seen.push(...body.items.map((item) => item.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(items.map((item) => item.id));

    const otherOrg = await api('GET', '/security/events', undefined, other.owner.bearer);
    expect(otherOrg.json().items.map((item: { requestId: string }) => item.requestId)).toEqual(['req-c']);
  });
});
