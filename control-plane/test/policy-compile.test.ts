import { digestKey, SNAPSHOT_SCHEMA } from '@acc/extproc/policy';
import { describe, expect, it } from 'vitest';
import { mintApiToken, mintGatewayKey, randomBase62 } from '../src/keys/secret-tokens.js';
import { buildSnapshot, type SnapshotRows } from '../src/policy/compile.js';
import { SnapshotWaiters } from '../src/policy/waiters.js';

const ORG = '00000000-0000-4000-8000-000000000001';

describe('secret tokens', () => {
  it('mints acc- keys of 40 base62 characters whose digest is what extproc computes', () => {
    const minted = mintGatewayKey();
    expect(minted.secret).toMatch(/^acc-[0-9A-Za-z]{40}$/);
    expect(minted.prefix).toBe(minted.secret.slice(0, 8));
    expect(minted.digest).toBe(digestKey(minted.secret));
    expect(mintGatewayKey().secret).not.toBe(minted.secret);
  });

  it('mints accp_ API tokens', () => {
    const minted = mintApiToken();
    expect(minted.secret).toMatch(/^accp_[0-9A-Za-z]{40}$/);
    expect(minted.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('draws base62 characters uniformly (rejection sampling, no modulo bias)', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62_000);
    expect(sample).toHaveLength(62_000);
    for (const char of sample) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Expected 1000 each; with modulo bias the first 8 characters would get ~1.25x as many.
    for (const count of counts.values()) expect(count).toBeGreaterThan(850);
    for (const count of counts.values()) expect(count).toBeLessThan(1150);
  });
});

describe('buildSnapshot', () => {
  const rows: SnapshotRows = {
    orgs: [{ id: ORG, slug: 'acme', name: 'Acme' }],
    teams: [{ id: 't1', org_id: ORG, name: 'Platform' }],
    keys: [
      {
        id: 'k1',
        org_id: ORG,
        team_id: 't1',
        owner_user_id: null,
        owner_service_account_id: 'sa1',
        prefix: 'acc-AbCd',
        key_digest: 'd1',
        allowed_models: ['gpt-4o'],
        expires_at: new Date('2030-01-01T00:00:00Z'),
        agent: 'triage-bot',
        allow_agent_header: false,
      },
      {
        id: 'k2',
        org_id: ORG,
        team_id: null,
        owner_user_id: 'u1',
        owner_service_account_id: null,
        prefix: 'acc-EfGh',
        key_digest: 'd2',
        allowed_models: null,
        expires_at: null,
        agent: null,
        allow_agent_header: true,
      },
    ],
    credentials: [
      {
        org_id: ORG,
        provider: 'openai',
        sealed: { keyId: 'k', iv: 'aQ==', tag: 'dA==', ciphertext: 'Yw==' },
      },
    ],
    pricing: [
      {
        org_id: ORG,
        provider: 'anthropic',
        model: 'claude-x',
        input_mtok: '3',
        output_mtok: 15,
        cache_read_mtok: null,
        cache_write_mtok: '3.75',
      },
    ],
    budgets: [
      {
        id: 'b1',
        org_id: ORG,
        name: 'Platform monthly',
        scope: 'team',
        subject: 't1',
        window_kind: 'calendar',
        period: 'month',
        time_zone: 'Europe/Paris',
        rolling_seconds: null,
        limit_usd: '250.5',
        enforcement: 'hard',
        models: ['gpt-4o'],
        alert_thresholds: [100, 50, 80],
      },
      {
        id: 'b2',
        org_id: ORG,
        name: 'Agent hourly',
        scope: 'agent',
        subject: 'triage-bot',
        window_kind: 'rolling',
        period: null,
        time_zone: null,
        rolling_seconds: 3600,
        limit_usd: 5,
        enforcement: 'soft',
        models: null,
        alert_thresholds: [90],
      },
    ],
    rateLimits: [
      {
        id: 'r1',
        org_id: ORG,
        scope: 'key',
        subject: 'k1',
        requests_per_minute: 60,
        tokens_per_minute: null,
      },
    ],
  };

  it('maps rows to the snapshot contract extproc reads', () => {
    const snapshot = buildSnapshot(rows, 7, new Date('2026-01-02T03:04:05Z'));
    expect(snapshot).toMatchObject({
      schema: SNAPSHOT_SCHEMA,
      version: 7,
      publishedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(snapshot.teams).toEqual([{ id: 't1', orgId: ORG, name: 'Platform' }]);
    expect(snapshot.keys[0]).toEqual({
      digest: 'd1',
      id: 'k1',
      prefix: 'acc-AbCd',
      orgId: ORG,
      teamId: 't1',
      ownerId: 'sa1',
      ownerKind: 'service_account',
      agent: 'triage-bot',
      allowAgentHeader: false,
      allowedModels: ['gpt-4o'],
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(snapshot.keys[1]).toMatchObject({
      ownerId: 'u1',
      ownerKind: 'user',
      agent: null,
      allowAgentHeader: true,
      allowedModels: null,
      expiresAt: null,
    });
    expect(snapshot.providerCredentials[0]?.secret.keyId).toBe('k');
    expect(snapshot.pricing[0]).toEqual({
      orgId: ORG,
      provider: 'anthropic',
      model: 'claude-x',
      inputMtok: 3,
      outputMtok: 15,
      cacheReadMtok: null,
      cacheWriteMtok: 3.75,
    });
  });

  it('publishes budgets (thresholds ascending, numeric limits) and rate limits', () => {
    const snapshot = buildSnapshot(rows, 8, new Date());
    expect(snapshot.budgets).toEqual([
      {
        id: 'b1',
        orgId: ORG,
        name: 'Platform monthly',
        scope: 'team',
        subject: 't1',
        window: { kind: 'calendar', period: 'month', timeZone: 'Europe/Paris' },
        limitUsd: 250.5,
        enforcement: 'hard',
        models: ['gpt-4o'],
        alertThresholds: [50, 80, 100],
      },
      {
        id: 'b2',
        orgId: ORG,
        name: 'Agent hourly',
        scope: 'agent',
        subject: 'triage-bot',
        window: { kind: 'rolling', seconds: 3600 },
        limitUsd: 5,
        enforcement: 'soft',
        models: null,
        alertThresholds: [90],
      },
    ]);
    expect(snapshot.rateLimits).toEqual([
      { id: 'r1', orgId: ORG, scope: 'key', subject: 'k1', requestsPerMinute: 60, tokensPerMinute: null },
    ]);
  });
});

describe('SnapshotWaiters', () => {
  const snapshot = (version: number) =>
    buildSnapshot({ orgs: [], teams: [], keys: [], credentials: [], pricing: [] }, version, new Date());

  it('wakes only waiters older than the offered version, and times out with null', async () => {
    const waiters = new SnapshotWaiters();
    const behind = waiters.wait(1, 5_000);
    const current = waiters.wait(2, 50);
    waiters.offer(snapshot(2));
    expect((await behind)?.version).toBe(2);
    expect(await current).toBeNull();
    expect(waiters.size).toBe(0);
  });

  it('answers null on abort and on release', async () => {
    const waiters = new SnapshotWaiters();
    const controller = new AbortController();
    const aborted = waiters.wait(0, 5_000, controller.signal);
    const released = waiters.wait(0, 5_000);
    controller.abort();
    expect(await aborted).toBeNull();
    waiters.releaseAll();
    expect(await released).toBeNull();
  });
});
