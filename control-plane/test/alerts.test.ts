// Budget alerts end to end against a local HTTP receiver: thresholds fire once per window however many evaluators
// race, webhooks arrive signed, Slack gets its message shape, failures retry with exponential backoff on a
// persisted schedule and give up after the last attempt. Time is passed in, so nothing waits on a clock.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateBudgetAlerts } from '../src/alerts/evaluator.js';
import { AlertService } from '../src/alerts/service.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, verifyWebhookSignature } from '../src/alerts/signature.js';
import { insertLedgerRecord, monthStartUtc, Receiver } from './support/budget-fixtures.js';
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
let receiver: Receiver;
let registry: Registry;
let service: AlertService;
let budgetId: string;
let webhookId: string;
let signingSecret: string;
const now = Date.now();
const inWindow = new Date(monthStartUtc(now).getTime() + 1000);

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const api = (method: Method, url: string, payload?: object, headers = org.owner.bearer) =>
  ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

const spend = (costUsd: number) =>
  insertLedgerRecord(ctx.db, { orgId: org.id, costUsd, startedAt: inWindow });

async function createBudget(name: string, limitUsd: number, alertThresholds: number[]): Promise<string> {
  const response = await api('POST', '/budgets', {
    name,
    scope: 'org',
    window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
    limitUsd,
    alertThresholds,
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

async function createChannel(kind: 'webhook' | 'slack', name: string, path: string) {
  const url = kind === 'slack' ? 'https://hooks.slack.com/services/T0/B0/secret' : `${receiver.url}${path}`;
  const response = await api('POST', '/alert-channels', { kind, name, url });
  expect(response.statusCode, response.body).toBe(201);
  const channel = response.json();
  // Slack channels must be https; the receiver here is plain http, so point the stored URL at it directly.
  if (kind === 'slack')
    await ctx.db.pool.query('UPDATE alert_channels SET url = $2 WHERE id = $1', [
      channel.id,
      `${receiver.url}${path}`,
    ]);
  return channel;
}

async function deliveriesOf(budget: string) {
  const { rows } = await ctx.db.pool.query(
    `SELECT a.threshold, c.name AS channel, d.status, d.attempts, d.next_attempt_at, d.last_error
       FROM alert_deliveries d JOIN budget_alerts a ON a.id = d.alert_id JOIN alert_channels c ON c.id = d.channel_id
      WHERE a.budget_id = $1 ORDER BY a.threshold, c.name`,
    [budget],
  );
  return rows;
}

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  receiver = new Receiver();
  await receiver.start();
  registry = new Registry();
  service = new AlertService({
    db: ctx.db,
    redis: null,
    masterKey: ctx.config.masterKey,
    log: { warn: () => {}, error: () => {} },
    registry,
    intervalMs: 60_000,
    maxAttempts: 4,
    timeoutMs: 5_000,
    metricsTopN: 2,
    retryBaseMs: 1_000,
    retryMaxMs: 60_000,
  });
  budgetId = await createBudget('Org monthly', 10, [50, 80, 100]);
  const webhook = await createChannel('webhook', 'ops hook', '/hook');
  webhookId = webhook.id;
  signingSecret = webhook.signingSecret;
  await createChannel('slack', 'ops slack', '/slack');
});
afterAll(async () => {
  await receiver?.stop();
  await ctx?.close();
});

describe('alert evaluation', () => {
  it('fires each crossed threshold once per window, even with evaluators racing', async () => {
    await spend(8.5);
    const results = await Promise.all([
      service.evaluate(now),
      evaluateBudgetAlerts(ctx.db, null, now),
      evaluateBudgetAlerts(ctx.db, null, now),
    ]);
    const fired = results.flatMap((result) => result.fired).filter((alert) => alert.budgetId === budgetId);
    expect(fired.map((alert) => alert.threshold).sort()).toEqual([50, 80]);
    expect(fired.every((alert) => alert.deliveries === 2)).toBe(true);
    expect((await service.evaluate(now)).fired).toEqual([]);

    const deliveries = await deliveriesOf(budgetId);
    expect(deliveries.map((row) => [row.threshold, row.channel, row.status])).toEqual([
      [50, 'ops hook', 'pending'],
      [50, 'ops slack', 'pending'],
      [80, 'ops hook', 'pending'],
      [80, 'ops slack', 'pending'],
    ]);
    const metrics = await registry.metrics();
    expect(metrics).toContain(`acc_budget_utilisation_ratio{budget_id="${budgetId}"} 0.85`);
    expect(metrics).toContain(`acc_budget_remaining_usd{budget_id="${budgetId}"} 1.5`);
  });

  it('delivers signed webhooks and Slack messages', async () => {
    const reports = await service.deliver(now);
    expect(reports.map((report) => report.outcome)).toEqual([
      'delivered',
      'delivered',
      'delivered',
      'delivered',
    ]);

    const hooks = receiver.received('/hook');
    expect(hooks).toHaveLength(2);
    const { rows: alerts } = await ctx.db.pool.query(
      'SELECT id, threshold FROM budget_alerts WHERE budget_id = $1',
      [budgetId],
    );
    for (const hook of hooks) {
      const signature = hook.headers[SIGNATURE_HEADER] as string;
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(signingSecret, signature, hook.body, Math.floor(now / 1000))).toBe(true);
      expect(
        verifyWebhookSignature(
          signingSecret,
          signature,
          hook.body.replace('8.5', '0.5'),
          Math.floor(now / 1000),
        ),
      ).toBe(false);
      expect(verifyWebhookSignature('accwh_wrong', signature, hook.body, Math.floor(now / 1000))).toBe(false);
      const event = JSON.parse(hook.body);
      expect(hook.headers[EVENT_ID_HEADER]).toBe(event.id);
      expect(alerts.find((alert) => alert.id === event.id)?.threshold).toBe(event.alert.threshold);
      expect(event).toMatchObject({
        type: 'budget.threshold_crossed',
        orgId: org.id,
        budget: { id: budgetId, name: 'Org monthly', scope: 'org', subject: null, enforcement: 'hard' },
        alert: { spentUsd: 8.5, limitUsd: 10, utilisation: 0.85 },
      });
    }

    const slack = receiver.received('/slack');
    expect(slack).toHaveLength(2);
    for (const message of slack) {
      expect(message.headers[SIGNATURE_HEADER]).toBeUndefined();
      const payload = JSON.parse(message.body);
      expect(Object.keys(payload).sort()).toEqual(['blocks', 'text']);
      expect(payload.text).toMatch(
        /^Budget "Org monthly" reached (50|80)% of its limit: \$8\.50 of \$10\.00 spent/,
      );
      expect(payload.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    }

    const listed = await api('GET', `/budgets/${budgetId}/alerts`);
    expect(listed.statusCode).toBe(200);
    const items = listed.json().items;
    expect(items.map((item: { threshold: number }) => item.threshold).sort()).toEqual([50, 80]);
    for (const item of items) {
      expect(item.deliveries).toHaveLength(2);
      for (const delivery of item.deliveries)
        expect(delivery).toMatchObject({
          status: 'delivered',
          attempts: 1,
          lastError: null,
          nextAttemptAt: null,
        });
    }
    expect(await service.deliver(now)).toEqual([]);
  });

  it('retries a failing channel with exponential backoff, then delivers', async () => {
    receiver.respond('/hook', 500, 503, 502);
    await spend(2);
    expect((await service.evaluate(now)).fired.map((alert) => alert.threshold)).toEqual([100]);

    const first = await service.deliver(now);
    expect(first.map((report) => report.outcome).sort()).toEqual(['delivered', 'retry']);
    const pending = (await deliveriesOf(budgetId)).find(
      (row) => row.threshold === 100 && row.channel === 'ops hook',
    );
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500: boom' });
    expect(pending.next_attempt_at.getTime()).toBe(now + 1_000);

    expect(await service.deliver(now + 999)).toEqual([]);
    const second = await service.deliver(now + 1_000);
    expect(second.map((report) => [report.attempt, report.outcome])).toEqual([[2, 'retry']]);
    const after = (await deliveriesOf(budgetId)).find(
      (row) => row.threshold === 100 && row.channel === 'ops hook',
    );
    expect(after.next_attempt_at.getTime()).toBe(now + 1_000 + 2_000);
    expect(after.last_error).toBe('HTTP 503: boom');

    expect(await service.deliver(now + 2_999)).toEqual([]);
    const third = await service.deliver(now + 3_000);
    expect(third.map((report) => [report.attempt, report.outcome])).toEqual([[3, 'retry']]);
    const doubled = (await deliveriesOf(budgetId)).find(
      (row) => row.threshold === 100 && row.channel === 'ops hook',
    );
    expect(doubled.next_attempt_at.getTime()).toBe(now + 3_000 + 4_000);

    expect(await service.deliver(now + 6_999)).toEqual([]);
    const fourth = await service.deliver(now + 7_000);
    expect(fourth.map((report) => [report.attempt, report.outcome])).toEqual([[4, 'delivered']]);
    const done = (await deliveriesOf(budgetId)).find(
      (row) => row.threshold === 100 && row.channel === 'ops hook',
    );
    expect(done).toMatchObject({ status: 'delivered', attempts: 4, last_error: null });
    expect(
      receiver
        .received('/hook')
        .slice(-4)
        .map((request) => JSON.parse(request.body).alert.threshold),
    ).toEqual([100, 100, 100, 100]);
  });

  it('marks a delivery failed after the last attempt', async () => {
    await createChannel('webhook', 'broken hook', '/down');
    receiver.respond('/down', 500, 500, 500, 500, 500);
    const strict = await createBudget('Strict', 1, [100]);
    await service.evaluate(now);
    await service.deliver(now);
    await service.deliver(now + 1_000);
    await service.deliver(now + 3_000);
    const last = await service.deliver(now + 7_000);
    expect(last.map((report) => report.outcome)).toEqual(['failed']);
    const rows = await deliveriesOf(strict);
    expect(rows.find((row) => row.channel === 'broken hook')).toMatchObject({
      status: 'failed',
      attempts: 4,
      last_error: 'HTTP 500: boom',
    });
    expect(await service.deliver(now + 60_000)).toEqual([]);
    expect(receiver.received('/down')).toHaveLength(4);
    const failed = (await api('GET', `/budgets/${strict}/alerts`)).json().items[0].deliveries;
    expect(
      failed.find((delivery: { channelName: string }) => delivery.channelName === 'broken hook'),
    ).toMatchObject({
      status: 'failed',
      attempts: 4,
      nextAttemptAt: null,
    });
    const metrics = await registry.metrics();
    expect(metrics).toContain('acc_budget_alert_deliveries_total{kind="webhook",outcome="failed"} 1');
    expect(metrics).toContain('acc_budget_alert_deliveries_total{kind="webhook",outcome="retry"} 6');
  });

  it('exports per-budget gauges for the top N budgets by utilisation only', async () => {
    const relaxed = await createBudget('Relaxed', 1000, [50]);
    await service.evaluate(now);
    const metrics = await registry.metrics();
    expect(metrics).toContain('acc_budgets 3');
    const strict = (await api('GET', '/budgets?scope=org'))
      .json()
      .items.find((b: { name: string }) => b.name === 'Strict');
    expect(metrics).toContain(`acc_budget_utilisation_ratio{budget_id="${strict.id}"} 10.5`);
    expect(metrics).toContain(`acc_budget_utilisation_ratio{budget_id="${budgetId}"} 1.05`);
    expect(metrics).not.toContain(relaxed);
  });
});

describe('alert channels API', () => {
  it('shows the signing secret once, never again, nor in the audit log', async () => {
    expect(signingSecret).toMatch(/^accwh_[A-Za-z0-9_-]{43}$/);
    for (const response of [
      await api('GET', `/alert-channels/${webhookId}`),
      await api('GET', '/alert-channels'),
    ]) {
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain(signingSecret);
      expect(response.body).not.toMatch(/signingSecret|sealed/);
    }
    const { rows } = await ctx.db.pool.query('SELECT before, after FROM audit_log WHERE resource_id = $1', [
      webhookId,
    ]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(signingSecret);
    const { rows: stored } = await ctx.db.pool.query(
      'SELECT signing_secret_sealed FROM alert_channels WHERE id = $1',
      [webhookId],
    );
    expect(JSON.stringify(stored)).not.toContain(signingSecret);
  });

  it('masks URLs, which carry the tokens of webhook endpoints', async () => {
    const channel = (await api('GET', `/alert-channels/${webhookId}`)).json();
    expect(channel.url).toBe(`${receiver.url}/…`);
    const slack = (await api('GET', '/alert-channels?kind=slack')).json().items[0];
    expect(slack.url).toBe(`${receiver.url}/…`);
  });

  it('sends a test event on demand and reports the answer', async () => {
    const ok = await api('POST', `/alert-channels/${webhookId}/test`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ delivered: true, status: 200, error: null });
    const request = receiver.received('/hook').at(-1);
    expect(JSON.parse(request?.body ?? '{}')).toMatchObject({
      type: 'test',
      orgId: org.id,
      budget: null,
      alert: null,
    });
    expect(
      verifyWebhookSignature(
        signingSecret,
        request?.headers[SIGNATURE_HEADER] as string,
        request?.body ?? '',
        Math.floor(Date.now() / 1000),
      ),
    ).toBe(true);

    receiver.respond('/hook', 500);
    expect((await api('POST', `/alert-channels/${webhookId}/test`)).json()).toEqual({
      delivered: false,
      status: 500,
      error: 'HTTP 500: boom',
    });
  });

  it('validates URLs and roles', async () => {
    const cases: [object, string][] = [
      [{ kind: 'slack', name: 'plain', url: 'http://hooks.slack.com/services/x' }, 'url'],
      [{ kind: 'webhook', name: 'creds', url: 'https://user:pass@example.com/hook' }, 'url'],
      [{ kind: 'webhook', name: 'ftp', url: 'ftp://example.com/hook' }, 'url'],
      [{ kind: 'email', name: 'mail', url: 'https://example.com' }, 'kind'],
    ];
    for (const [body, field] of cases) {
      const response = await api('POST', '/alert-channels', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(errorOf(response).details.field).toBe(field);
    }
    const editor = await createUser(ctx.db, org.id, 'editor');
    const denied = await api(
      'POST',
      '/alert-channels',
      { kind: 'webhook', name: 'x', url: 'https://example.com' },
      editor.bearer,
    );
    expect(denied.statusCode).toBe(403);
    expect((await api('GET', '/alert-channels', undefined, editor.bearer)).statusCode).toBe(200);
  });

  it('renames, re-points and deletes a channel', async () => {
    const channel = await createChannel('webhook', 'temporary', '/tmp');
    const renamed = await api('PATCH', `/alert-channels/${channel.id}`, {
      name: 'renamed',
      url: 'https://example.com/x?token=1',
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'renamed', url: 'https://example.com/…' });
    expect((await api('DELETE', `/alert-channels/${channel.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/alert-channels/${channel.id}`)).statusCode).toBe(404);
    const { rows } = await ctx.db.pool.query(
      'SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY id',
      [channel.id],
    );
    expect(rows.map((row) => row.action)).toEqual([
      'alert_channel.create',
      'alert_channel.update',
      'alert_channel.delete',
    ]);
  });
});
