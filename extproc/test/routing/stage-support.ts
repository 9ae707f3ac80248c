// A StreamContext with the routing stage over a compiled snapshot, driven message by message as Envoy would, and
// readers for what it forwards and answers.
import { pino } from 'pino';
import type { BudgetUtilisationView } from '../../src/budgets/utilisation.js';
import { loadExtprocConfig } from '../../src/config.js';
import type { ProcessingResponse } from '../../src/grpc/envoy-messages.js';
import { ExtprocMetrics } from '../../src/metrics.js';
import { digestKey } from '../../src/pipeline/auth.js';
import type { RequestStage } from '../../src/pipeline/stages.js';
import { type RequestRecord, StreamContext } from '../../src/pipeline/stream-context.js';
import { type CompiledPolicy, compilePolicy } from '../../src/policy/compiled-policy.js';
import { SNAPSHOT_SCHEMA } from '../../src/policy/snapshot.js';
import type { RouteInputEstimator } from '../../src/routing/input-estimate.js';
import { RoutingMetrics } from '../../src/routing/metrics.js';
import { RoutingStage } from '../../src/routing/stage.js';
import { type BalanceStrategy, DeploymentBalancer } from '../../src/routing/targets.js';
import type { SnapshotDeployment, SnapshotRoutingRule } from '../../src/routing/types.js';
import { body, requestHeaders, responseHeaders } from '../support/ext-proc-messages.js';
import { ORG } from './fixtures.js';

export const TEAM = '11111111-1111-4111-8111-0000000000aa';
export const RESEARCH_KEY = 'acc-routing-research-key-0123456789abcd';
export const OTHER_KEY = 'acc-routing-other-key-0123456789abcdef0';

export interface RoutingSetup {
  rules?: SnapshotRoutingRule[];
  deployments?: SnapshotDeployment[];
  utilisation?: BudgetUtilisationView;
  balance?: BalanceStrategy;
  random?: () => number;
  now?: () => number;
  estimator?: RouteInputEstimator;
  /** Run after routing, e.g. to see what it left for the budget stage. */
  later?: RequestStage[];
}

export function routedPolicy(setup: RoutingSetup): CompiledPolicy {
  const key = (presented: string, id: string, teamId: string | null) => ({
    digest: digestKey(presented),
    id,
    prefix: presented.slice(0, 8),
    orgId: ORG,
    teamId,
    ownerId: null,
    ownerKind: null,
    allowedModels: null,
    expiresAt: null,
  });
  return compilePolicy(
    {
      schema: SNAPSHOT_SCHEMA,
      version: 3,
      publishedAt: new Date().toISOString(),
      orgs: [{ id: ORG, slug: 'org', name: 'Org' }],
      teams: [{ id: TEAM, orgId: ORG, name: 'research' }],
      keys: [key(RESEARCH_KEY, 'key-research', TEAM), key(OTHER_KEY, 'key-other', null)],
      providerCredentials: [],
      pricing: [],
      routing: { rules: setup.rules ?? [], deployments: setup.deployments ?? [], modelOverrides: [] },
    },
    {
      bootstrapKeys: [],
      providerKeys: { openai: 'sk-provider', anthropic: 'sk-ant-provider' },
      priceOverrides: undefined,
    },
    [],
  );
}

export function routingGateway(setup: RoutingSetup = {}) {
  const config = loadExtprocConfig({});
  const metrics = new ExtprocMetrics({ defaultMetrics: false });
  const log = pino({ level: 'silent' });
  const balancer = new DeploymentBalancer(setup.balance ?? 'weighted', setup.random);
  const stage = new RoutingStage({
    metrics: new RoutingMetrics(metrics.registry),
    log,
    balancer,
    ...(setup.utilisation ? { utilisation: setup.utilisation } : {}),
    ...(setup.now ? { now: setup.now } : {}),
    ...(setup.estimator ? { estimator: setup.estimator } : {}),
  });
  const policy = routedPolicy(setup);
  const records: RequestRecord[] = [];
  const deps = { config, policy: () => policy, metrics, log, stages: [stage, ...(setup.later ?? [])] };
  return {
    records,
    metrics,
    balancer,
    open: () => new StreamContext(deps, (record) => records.push(record)),
    async metric(name: string, labels = ''): Promise<number | undefined> {
      const text = await metrics.registry.metrics();
      const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    },
  };
}

export type RoutingGateway = ReturnType<typeof routingGateway>;

export function openaiHeaders(key = RESEARCH_KEY): Record<string, string> {
  return {
    ':method': 'POST',
    ':path': '/v1/chat/completions',
    'content-type': 'application/json',
    authorization: `Bearer ${key}`,
    'x-request-id': `req-${Math.random().toString(36).slice(2)}`,
  };
}

export function anthropicHeaders(key = RESEARCH_KEY): Record<string, string> {
  return {
    ':method': 'POST',
    ':path': '/v1/messages',
    'content-type': 'application/json',
    'x-api-key': key,
    'anthropic-version': '2023-06-01',
    'x-request-id': `req-${Math.random().toString(36).slice(2)}`,
  };
}

export const chat = (extra: Record<string, unknown> = {}, content = 'Summarise this paragraph.') => ({
  model: 'gpt-4o',
  messages: [{ role: 'user', content }],
  ...extra,
});

export const claude = (extra: Record<string, unknown> = {}) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 4096,
  messages: [{ role: 'user', content: 'Summarise this paragraph.' }],
  ...extra,
});

/** Request headers then body; the reply to the body (forwarded or answered). */
export async function send(
  gateway: RoutingGateway,
  headers: Record<string, string>,
  payload: Record<string, unknown>,
) {
  const context = gateway.open();
  await context.handle(requestHeaders(headers));
  const reply = await context.handle(body('request_body', JSON.stringify(payload)));
  return { context, reply };
}

/** The upstream's answer: headers (whose reply carries what the client sees added), then one JSON body. */
export async function answer(context: StreamContext, json: Record<string, unknown>) {
  const headersReply = await context.handle(
    responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
  );
  await context.handle(body('response_body', JSON.stringify(json)));
  context.close();
  return headersOf(headersReply, 'response_headers');
}

export function headersOf(
  reply: ProcessingResponse,
  phase: 'request_body' | 'response_headers',
): Record<string, string> {
  const mutation = reply[phase]?.response?.header_mutation;
  return Object.fromEntries(
    (mutation?.set_headers ?? []).map((h) => [
      h.header?.key,
      Buffer.from(h.header?.raw_value as Buffer).toString(),
    ]),
  );
}

export function forwarded(reply: ProcessingResponse): Record<string, unknown> | null {
  const bytes = reply.request_body?.response?.body_mutation?.body;
  return bytes ? JSON.parse(Buffer.from(bytes as Buffer).toString('utf8')) : null;
}

export function immediate(reply: ProcessingResponse) {
  const response = reply.immediate_response;
  return {
    status: response?.status?.code,
    body: response ? JSON.parse(Buffer.from(response.body as Buffer).toString('utf8')) : null,
    headers: Object.fromEntries(
      (response?.headers?.set_headers ?? []).map((h) => [
        h.header?.key,
        Buffer.from(h.header?.raw_value as Buffer).toString(),
      ]),
    ),
  };
}
