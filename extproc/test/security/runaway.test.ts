import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BUCKETS,
  hammingDistance,
  MemoryRunawayTracker,
  type RequestShape,
  type RunawayOptions,
  type RunawayTracker,
  requestShape,
} from '../../src/security/runaway.js';
import { RedisRunawayTracker } from '../../src/security/runaway-redis.js';
import type { Finding, ScanInput, ScanSegment } from '../../src/security/types.js';

function message(role: string, text: string, messageIndex: number): ScanSegment {
  return { kind: role === 'tool' ? 'tool_result' : 'message', messageIndex, role, partIndex: 0, text };
}

function shapeOf(text: string): RequestShape {
  const input: ScanInput = {
    segments: [message('system', 'You are a build agent.', 0), message('user', text, 1)],
    toolNames: [],
  };
  const shape = requestShape(input);
  if (shape === null) throw new Error('no shape');
  return shape;
}

function distance(a: RequestShape, b: RequestShape): number {
  return hammingDistance(a.hi, a.lo, b.hi, b.lo);
}

const LOOP_TEXT = (i: number) =>
  `Build failed at 2026-01-0${i % 9}T10:${10 + i}:00Z (run ${1000 + i}). Error: cannot resolve module ./config in src/app.ts line 42. Retry the build and fix the error.`;

describe('requestShape', () => {
  it('puts loop iterations that differ only in numbers within a few bits, and different requests far apart', () => {
    const first = shapeOf(LOOP_TEXT(1));
    for (let i = 2; i < 8; i++) expect(distance(first, shapeOf(LOOP_TEXT(i)))).toBeLessThanOrEqual(3);
    const other = shapeOf(
      'Summarise the quarterly sales report and draft an email to the finance team about it.',
    );
    expect(distance(first, other)).toBeGreaterThan(10);
  });

  it('hashes the newest turn: what arrived after the model last spoke, and the calls it made', () => {
    const base = [message('user', 'Please fix the failing tests.', 0)];
    const assistant: ScanSegment = { ...message('assistant', 'Running tests.', 1) };
    const call: ScanSegment = {
      kind: 'tool_call_arguments',
      messageIndex: 1,
      role: 'assistant',
      partIndex: 0,
      text: '{"cmd":"npm test"}',
    };
    const result = (text: string): ScanSegment => message('tool', text, 2);
    const a = requestShape({
      segments: [...base, assistant, call, result('3 tests failed in parser.test.ts')],
      toolNames: [],
    });
    const b = requestShape({
      segments: [
        message('user', 'Something else entirely, about cooking.', 0),
        assistant,
        call,
        result('3 tests failed in parser.test.ts'),
      ],
      toolNames: [],
    });
    expect(a).not.toBeNull();
    expect(a?.location).toMatchObject({ kind: 'tool_call_arguments', messageIndex: 1 });
    expect(distance(a as RequestShape, b as RequestShape)).toBe(0);
    expect(requestShape({ segments: [], toolNames: [] })).toBeNull();
  });
});

type Factory = (options: Partial<RunawayOptions>) => RunawayTracker;

let redis: Redis | undefined;

beforeAll(() => {
  redis = new Redis(inject('REDIS_URL'), { lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await redis?.quit();
});

const factories: Array<[string, Factory]> = [
  ['memory', (options) => new MemoryRunawayTracker(options)],
  [
    'redis',
    (options) => new RedisRunawayTracker(redis as Redis, `acc:test:runaway:${randomUUID()}:`, options),
  ],
];

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const rules = (findings: Finding[]) => findings.map((f) => `${f.rule}:${f.severity}`);

describe.each(factories)('%s runaway tracker', (_name, create) => {
  it('reports a loop once near-identical requests reach the threshold, critical at twice it', async () => {
    const tracker = create({ windowSeconds: 60, repeatThreshold: 5 });
    const seen: string[][] = [];
    for (let i = 0; i < 10; i++)
      seen.push(rules(await tracker.observe('key-1/agent-a', shapeOf(LOOP_TEXT(i)), T0 + i * 1000)));
    expect(seen.slice(0, 4)).toEqual([[], [], [], []]);
    expect(seen[4]).toEqual(['repeated_request:high']);
    expect(seen[9]).toEqual(['repeated_request:critical']);
    const finding = (
      await tracker.observe('key-1/agent-a', shapeOf(LOOP_TEXT(3)), T0 + 11_000)
    )[0] as Finding;
    expect(finding).toMatchObject({
      detector: 'runaway_agent',
      redactable: false,
      location: { kind: 'message' },
    });
    expect(finding.reason).toMatch(/near-identical requests within 60s/);
  });

  it('forgets requests older than the window and keeps subjects and different requests apart', async () => {
    const tracker = create({ windowSeconds: 60, repeatThreshold: 5 });
    for (let i = 0; i < 12; i++) {
      expect(await tracker.observe('slow', shapeOf(LOOP_TEXT(i)), T0 + i * 20_000)).toEqual([]);
    }
    const distinct = [
      'Write a haiku about autumn leaves falling on a quiet pond.',
      'List three databases that support JSON columns and compare them.',
      'Translate the following paragraph into German please, keep the tone.',
      'Explain how TCP congestion control reacts to packet loss in detail.',
      'Draft a polite reminder to a colleague about tomorrow’s design review.',
      'What is the capital of Australia and why was it chosen over Sydney?',
    ];
    for (const [i, text] of distinct.entries())
      expect(await tracker.observe('varied', shapeOf(text), T0 + i)).toEqual([]);
    for (let i = 0; i < 4; i++) {
      await tracker.observe('agent-x', shapeOf(LOOP_TEXT(i)), T0 + i);
      await tracker.observe('agent-y', shapeOf(LOOP_TEXT(i)), T0 + i);
    }
    expect(await tracker.observe('agent-z', shapeOf(LOOP_TEXT(9)), T0 + 10)).toEqual([]);
  });

  it('takes per-request limits from the caller', async () => {
    const tracker = create({ windowSeconds: 60, repeatThreshold: 50 });
    const limits = { repeatThreshold: 3 };
    await tracker.observe('limited', shapeOf(LOOP_TEXT(1)), T0, limits);
    await tracker.observe('limited', shapeOf(LOOP_TEXT(2)), T0 + 1, limits);
    expect(rules(await tracker.observe('limited', shapeOf(LOOP_TEXT(3)), T0 + 2, limits))).toEqual([
      'repeated_request:high',
    ]);
  });

  it('reports spend far above the subject’s own baseline, not steady spend or small amounts', async () => {
    const tracker = create({ windowSeconds: 60, repeatThreshold: 1000, velocityFactor: 10, minSpendUsd: 1 });
    const shape = shapeOf('Continue the analysis.');
    let now = T0;
    for (let i = 0; i < 72; i++, now += 10 * 60_000) await tracker.recordSpend('burst', 0.1, now);
    expect(await tracker.observe('burst', shape, now)).toEqual([]);
    for (let i = 0; i < 10; i++, now += 6_000) await tracker.recordSpend('burst', 2, now);
    const burst = await tracker.observe('burst', shape, now);
    expect(burst.map((f) => f.rule)).toEqual(['spend_velocity']);
    expect(burst[0]?.reason).toMatch(/x the usual/);

    let steadyNow = T0;
    for (let i = 0; i < 8 * 60; i++, steadyNow += 60_000) await tracker.recordSpend('steady', 2, steadyNow);
    expect(await tracker.observe('steady', shape, steadyNow)).toEqual([]);

    for (let i = 0; i < 4; i++) await tracker.recordSpend('small', 0.05, T0 + i * 1000);
    expect(await tracker.observe('small', shape, T0 + 5000)).toEqual([]);
  });
});

describe('memory runaway tracker bounds', () => {
  it('keeps at most maxSubjects subjects, forgetting the least recently seen', () => {
    const tracker = new MemoryRunawayTracker({ maxSubjects: 3, repeatThreshold: 2 });
    const shape = shapeOf(LOOP_TEXT(1));
    for (const subject of ['a', 'b', 'c', 'd', 'e']) tracker.observe(subject, shape, T0);
    expect(tracker.size).toBe(3);
    expect(tracker.observe('a', shape, T0 + 1)).toEqual([]);
    expect(rules(tracker.observe('e', shape, T0 + 1))).toEqual(['repeated_request:high']);
  });

  it('keeps at most clustersPerSubject clusters per subject', () => {
    const tracker = new MemoryRunawayTracker({ clustersPerSubject: 2, repeatThreshold: 2 });
    const [a, b, c] = ['alpha beta gamma delta', 'one two three four five', 'red green blue yellow'].map(
      shapeOf,
    );
    tracker.observe('s', a as RequestShape, T0);
    tracker.observe('s', b as RequestShape, T0 + 1);
    tracker.observe('s', c as RequestShape, T0 + 2);
    expect(tracker.observe('s', a as RequestShape, T0 + 3)).toEqual([]);
    expect(rules(tracker.observe('s', c as RequestShape, T0 + 4))).toEqual(['repeated_request:high']);
  });
});

describe('redis runaway tracker storage', () => {
  it('bounds and expires what it stores, and reloads its scripts after a flush', async () => {
    const client = redis as Redis;
    const prefix = `acc:test:runaway:${randomUUID()}:`;
    const tracker = new RedisRunawayTracker(client, prefix, { clustersPerSubject: 4, repeatThreshold: 3 });
    for (let i = 0; i < 40; i++) {
      await tracker.observe(
        'bounded',
        shapeOf(`request number ${'abcdefghijklmnopqrstuvwxyz'[i % 26]} ${'xyz'.repeat(i)}`),
        T0 + i * 7_000,
      );
    }
    await tracker.recordSpend('bounded', 0.5, T0);
    const fields = await client.hlen(`${prefix}{bounded}:r`);
    expect(fields).toBeGreaterThan(0);
    expect(fields).toBeLessThanOrEqual(4 * (BUCKETS + 2));
    expect(await client.pttl(`${prefix}{bounded}:r`)).toBeGreaterThan(0);
    expect(await client.pttl(`${prefix}{bounded}:s`)).toBeGreaterThan(0);

    await client.script('FLUSH');
    const shape = shapeOf(LOOP_TEXT(1));
    await tracker.observe('flushed', shape, T0);
    await tracker.observe('flushed', shape, T0 + 1);
    expect(rules(await tracker.observe('flushed', shape, T0 + 2))).toEqual(['repeated_request:high']);
  });
});
