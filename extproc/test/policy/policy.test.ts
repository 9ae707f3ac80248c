// Snapshot compilation and the atomic swap: keys by digest, sealed credentials, per-org prices, refusal of bad input.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { digestKey } from '../../src/pipeline/auth.js';
import { compilePolicy, type PolicyDefaults } from '../../src/policy/compiled-policy.js';
import { PolicyStore } from '../../src/policy/policy-store.js';
import { MasterKeyError, openSecret, parseMasterKey, sealSecret } from '../../src/policy/sealed-secret.js';
import type { PolicySnapshot } from '../../src/policy/snapshot.js';

const master = parseMasterKey(randomBytes(32).toString('hex'));
const defaults: PolicyDefaults = {
  bootstrapKeys: ['acc-bootstrap-key-000000000000'],
  providerKeys: { openai: 'sk-env-openai', anthropic: null },
  priceOverrides: undefined,
};
const ORG_A = '11111111-1111-4111-8111-111111111111';
const ORG_B = '22222222-2222-4222-8222-222222222222';
const usage = {
  inputTokens: 1_000_000,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 1_000_000,
  reasoningTokens: 0,
};

function snapshot(version: number, overrides: Partial<PolicySnapshot> = {}): PolicySnapshot {
  return {
    schema: 1,
    version,
    publishedAt: new Date().toISOString(),
    orgs: [],
    teams: [],
    keys: [
      {
        digest: digestKey('acc-key-of-org-a'),
        id: 'key-a',
        prefix: 'acc-key-',
        orgId: ORG_A,
        teamId: 'team-1',
        ownerId: null,
        ownerKind: null,
        allowedModels: ['gpt-4o-mini'],
        expiresAt: '2999-01-01T00:00:00Z',
      },
    ],
    providerCredentials: [
      { orgId: ORG_A, provider: 'openai', secret: sealSecret('sk-org-a-openai', master) },
    ],
    pricing: [
      {
        orgId: ORG_A,
        provider: 'openai',
        model: 'my-finetune',
        inputMtok: 2,
        outputMtok: 8,
        cacheReadMtok: null,
        cacheWriteMtok: null,
      },
    ],
    ...overrides,
  };
}

describe('sealed secrets', () => {
  it('round-trips, and refuses another key or a tampered ciphertext', () => {
    const sealed = sealSecret('sk-secret', master);
    expect(sealed.ciphertext).not.toContain('sk-secret');
    expect(openSecret(sealed, [master])).toBe('sk-secret');
    const other = parseMasterKey(randomBytes(32).toString('base64'));
    expect(() => openSecret(sealed, [other])).toThrow(MasterKeyError);
    const tampered = { ...sealed, ciphertext: Buffer.from('sk-SECRET').toString('base64') };
    expect(() => openSecret(tampered, [master])).toThrow(/failed authentication/);
    expect(() => parseMasterKey('too-short')).toThrow(/32 bytes/);
  });
});

describe('compilePolicy', () => {
  const policy = compilePolicy(snapshot(3), defaults, [master]);

  it('resolves keys by digest with their org, team, models and expiry, and keeps bootstrap keys', () => {
    const identity = policy.keys.resolve('acc-key-of-org-a');
    expect(identity).toMatchObject({
      keyId: 'key-a',
      orgId: ORG_A,
      teamId: 'team-1',
      expiresAt: Date.parse('2999-01-01T00:00:00Z'),
    });
    expect(identity?.allowedModels?.has('gpt-4o-mini')).toBe(true);
    expect(policy.keys.resolve('acc-key-of-org-b')).toBeNull();
    expect(policy.keys.resolve('acc-bootstrap-key-000000000000')?.orgId).toBeNull();
  });

  it('uses the org credential, else the gateway-wide one', () => {
    expect(policy.providerKey(ORG_A, 'openai')).toBe('sk-org-a-openai');
    expect(policy.providerKey(ORG_B, 'openai')).toBe('sk-env-openai');
    expect(policy.providerKey(ORG_A, 'anthropic')).toBeNull();
  });

  it('prices with the org overrides only for that org', () => {
    const quote = policy.pricer(ORG_A).price('openai', 'my-finetune', usage);
    expect(quote.priced && quote.costUsd).toBe(10);
    expect(policy.pricer(ORG_B).price('openai', 'my-finetune', usage).priced).toBe(false);
  });

  it('refuses a snapshot whose credentials cannot be opened', () => {
    expect(() => compilePolicy(snapshot(4), defaults, [])).toThrow(/ACC_MASTER_KEY/);
    expect(() =>
      compilePolicy(snapshot(4), defaults, [parseMasterKey(randomBytes(32).toString('hex'))]),
    ).toThrow(/not configured/);
  });
});

describe('PolicyStore', () => {
  const makeStore = (keys = [master]) =>
    new PolicyStore(defaults, keys, pino({ level: 'silent' }), new Registry());

  it('swaps to newer versions only, and a request keeps the policy it started with', () => {
    const store = makeStore();
    expect(store.version).toBe(0);
    const startedWith = store.policy;
    expect(store.apply(snapshot(5))).toBe(true);
    expect(store.version).toBe(5);
    expect(startedWith.keys.resolve('acc-key-of-org-a')).toBeNull();
    expect(store.policy.keys.resolve('acc-key-of-org-a')).not.toBeNull();
    expect(store.apply(snapshot(4))).toBe(false);
    expect(store.apply(snapshot(5))).toBe(false);
    expect(store.version).toBe(5);
  });

  it('keeps the last good snapshot when a new one is malformed or does not compile', async () => {
    const registry = new Registry();
    const store = new PolicyStore(defaults, [master], pino({ level: 'silent' }), registry);
    store.apply(snapshot(1));
    expect(store.apply({ schema: 1, version: 2 })).toBe(false);
    const foreign = sealSecret('sk-x', parseMasterKey(randomBytes(32).toString('hex')));
    expect(
      store.apply(
        snapshot(3, { providerCredentials: [{ orgId: ORG_A, provider: 'openai', secret: foreign }] }),
      ),
    ).toBe(false);
    expect(store.version).toBe(1);
    const metrics = await registry.getSingleMetricAsString('acc_extproc_policy_errors_total');
    expect(metrics).toContain('reason="malformed"} 1');
    expect(metrics).toContain('reason="compile"} 1');
  });
});
