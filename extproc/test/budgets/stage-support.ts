// Shared fixtures of the budget stage tests: a snapshot with one key, a StreamContext gateway with the budget
// stage (memory store by default), and hand-built requests and answers.
import { pino } from 'pino';
import { LiveBudgetFigures } from '../../src/budgets/live-figures.js';
import { MemoryBudgetStore } from '../../src/budgets/memory-store.js';
import { BudgetMetrics, instrumentBudgetStore } from '../../src/budgets/metrics.js';
import { BudgetStage } from '../../src/budgets/stage.js';
import type { BudgetStore } from '../../src/budgets/store.js';
import type { SnapshotBudget, SnapshotRateLimit } from '../../src/budgets/types.js';
import { loadExtprocConfig } from '../../src/config.js';
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import { digestKey } from '../../src/pipeline/auth.js';
import type { RequestStage } from '../../src/pipeline/stages.js';
import { type RequestRecord, StreamContext } from '../../src/pipeline/stream-context.js';
import { type CompiledPolicy, compilePolicy } from '../../src/policy/compiled-policy.js';
import { SNAPSHOT_SCHEMA } from '../../src/policy/snapshot.js';
import { body, handleNow, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';

export const ORG = '00000000-0000-4000-8000-0000000000b1';
export const TEAM = '00000000-0000-4000-8000-0000000000b2';
export const OWNER = '00000000-0000-4000-8000-0000000000b3';
export const KEY = 'acc-budget-stage-key-0123456789abcdef012';
export const KEY_ID = 'key-budget';

export function budget(over: Partial<SnapshotBudget>): SnapshotBudget {
  return {
    id: `budget-${Math.random().toString(36).slice(2)}`,
    orgId: ORG,
    name: 'Org monthly',
    scope: 'org',
    subject: null,
    window: { kind: 'calendar', period: 'month', timeZone: 'UTC' },
    limitUsd: 10,
    enforcement: 'hard',
    models: null,
    alertThresholds: [50, 80, 100],
    ...over,
  };
}

export function policyWith(budgets: SnapshotBudget[], rateLimits: SnapshotRateLimit[] = []): CompiledPolicy {
  return compilePolicy(
    {
      schema: SNAPSHOT_SCHEMA,
      version: 3,
      publishedAt: new Date().toISOString(),
      orgs: [{ id: ORG, slug: 'org', name: 'Org' }],
      teams: [{ id: TEAM, orgId: ORG, name: 'Team' }],
      keys: [
        {
          digest: digestKey(KEY),
          id: KEY_ID,
          prefix: KEY.slice(0, 8),
          orgId: ORG,
          teamId: TEAM,
          ownerId: OWNER,
          ownerKind: 'user',
          allowedModels: null,
          expiresAt: null,
        },
      ],
      providerCredentials: [],
      pricing: [],
      budgets,
      rateLimits,
    },
    {
      bootstrapKeys: [],
      providerKeys: { openai: 'sk-provider', anthropic: 'sk-ant-provider' },
      priceOverrides: undefined,
    },
    [],
  );
}

export interface GatewayOptions {
  store?: BudgetStore;
  now?: () => number;
  allowUnpriced?: boolean;
  before?: RequestStage[];
}

export function gateway(policy: CompiledPolicy, options: GatewayOptions = {}) {
  const config = loadExtprocConfig({});
  const metrics = new ExtprocMetrics({ defaultMetrics: false });
  const log = pino({ level: 'silent' });
  const now = options.now ?? Date.now;
  const memory = new MemoryBudgetStore({ now });
  const budgetMetrics = new BudgetMetrics(metrics.registry);
  const figures = new LiveBudgetFigures({ policy: () => policy, now, registry: metrics.registry });
  const stage = new BudgetStage({
    store: instrumentBudgetStore(options.store ?? memory, budgetMetrics),
    metrics: budgetMetrics,
    log,
    defaultMaxTokens: 1000,
    reservationTtlMs: 60_000,
    allowUnpriced: options.allowUnpriced ?? false,
    figures,
    now,
  });
  const records: RequestRecord[] = [];
  const deps = { config, policy: () => policy, metrics, log, stages: [...(options.before ?? []), stage] };
  return {
    records,
    memory,
    stage,
    figures,
    metrics,
    open: () => new StreamContext(deps, (record) => records.push(record)),
  };
}

export const openaiHeaders = () => ({
  ':method': 'POST',
  ':path': '/v1/chat/completions',
  'content-type': 'application/json',
  authorization: `Bearer ${KEY}`,
  'x-request-id': `req-${Math.random().toString(36).slice(2)}`,
});

export const anthropicHeaders = () => ({
  ':method': 'POST',
  ':path': '/v1/messages',
  'content-type': 'application/json',
  'x-api-key': KEY,
  'anthropic-version': '2023-06-01',
  'x-request-id': `req-${Math.random().toString(36).slice(2)}`,
});

export const chat = (over: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], ...over });

export function immediate(reply: ProcessingResponse) {
  const response = reply.immediate_response;
  return {
    status: response?.status?.code,
    body: JSON.parse(Buffer.from(response?.body as Buffer).toString('utf8')),
    headers: Object.fromEntries(
      (response?.headers?.set_headers ?? []).map((h) => [
        h.header?.key,
        Buffer.from(h.header?.raw_value as Buffer).toString(),
      ]),
    ),
  };
}

export function forwarded(reply: ProcessingResponse): Record<string, unknown> | null {
  const bytes = reply.request_body?.response?.body_mutation?.body;
  return bytes ? JSON.parse(Buffer.from(bytes as Buffer).toString('utf8')) : null;
}

export async function send(open: () => StreamContext, headers: Record<string, string>, payload: string) {
  const context = open();
  handleNow(context, requestHeaders(headers));
  const reply = await context.handle(body('request_body', payload));
  return { context, reply };
}

/** 100 prompt and 20 completion tokens of gpt-4o-mini ($0.15 / $0.60 per million). */
export const COMPLETION = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
});
export const COMPLETION_NANOS = 100 * 150 + 20 * 600;

export function answerJson(context: StreamContext, status: number, payload: string): void {
  handleNow(context, responseHeaders({ ':status': String(status), 'content-type': 'application/json' }));
  handleNow(context, body('response_body', payload));
}
