// The routing dry run: a sample request parsed by extproc's own provider adapters, decided by the org's current rules
// compiled exactly as the next snapshot will carry them, and priced before and after. Nothing is sent to a provider.
import { adapterFor, type ParsedRequest, type ProviderId, RequestError } from '@acc/extproc/providers';
import {
  type CompiledRouting,
  DEFAULT_OUTPUT_TOKENS,
  decideRoute,
  estimateInputTokens,
  routeAttributesFrom,
} from '@acc/extproc/routing';
import type { Static } from 'typebox';
import type { Tx } from '../../db/database.js';
import { AppError, fail } from '../../errors.js';
import { compileOrgRouting, loadOrgRouting } from '../../routing/org-routing.js';
import { getRoutingRule } from '../rules/repository.js';
import type { RoutingTestBody, RoutingTestResult } from './schemas.js';

type Body = Static<typeof RoutingTestBody>;
type Result = Static<typeof RoutingTestResult>;
type Context = NonNullable<Body['context']>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function providerOf(body: Body, routing: CompiledRouting): ProviderId {
  if (body.provider) return body.provider;
  const model = body.request.model;
  const known = typeof model === 'string' ? routing.catalogue.lookup(model) : null;
  if (!known) {
    throw fail.validation('provider', 'body.provider is required: the request model is not in the catalogue');
  }
  return known.provider;
}

function parse(provider: ProviderId, body: Body): ParsedRequest {
  try {
    return adapterFor(provider).parseRequest(body.request);
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    const field = error.param ? `request.${error.param}` : 'request';
    throw new AppError('validation_failed', `body.${field}: ${error.message}`, { field, location: 'body' });
  }
}

interface Who {
  team: { id: string; name: string } | null;
  key: string | null;
  agent: string | null;
}

/** The team (by name or id) and key of the context, checked against the org; a key brings its team and agent. */
async function resolveWho(tx: Tx, orgId: string, context: Context): Promise<Who> {
  let teamId: string | null = null;
  let agent = context.agent ?? null;
  if (context.key !== undefined) {
    const { rows } = await tx.query<{ team_id: string | null; agent: string | null }>(
      'SELECT team_id, agent FROM gateway_keys WHERE id = $1 AND org_id = $2',
      [context.key, orgId],
    );
    if (!rows[0]) throw fail.validation('context.key', 'body.context.key is not a gateway key of this org');
    teamId = rows[0].team_id;
    agent ??= rows[0].agent;
  }
  let team: Who['team'] = null;
  if (context.team !== undefined || teamId !== null) {
    const wanted = context.team ?? (teamId as string);
    const byId = UUID.test(wanted);
    const { rows } = await tx.query<{ id: string; name: string }>(
      `SELECT id, name FROM teams WHERE org_id = $1 AND ${byId ? 'id = $2::uuid' : 'name = $2'}`,
      [orgId, wanted],
    );
    if (!rows[0]) throw fail.validation('context.team', 'body.context.team is not a team of this org');
    team = rows[0];
  }
  return { team, key: context.key ?? null, agent };
}

function effectiveOutput(maxTokens: number | null, cap: number | null): number {
  const limited = cap === null ? maxTokens : Math.min(maxTokens ?? cap, cap);
  return limited ?? DEFAULT_OUTPUT_TOKENS;
}

export async function dryRun(tx: Tx, orgId: string, body: Body): Promise<Result> {
  const state = await loadOrgRouting(tx, orgId);
  const routing = compileOrgRouting(orgId, state);
  const provider = providerOf(body, routing);
  const parsed = parse(provider, body);
  const context = body.context ?? {};
  const who = await resolveWho(tx, orgId, context);
  const inputTokens = context.estimatedInputTokens ?? estimateInputTokens(parsed);
  const attributes = routeAttributesFrom(parsed, {
    ...who,
    tags: context.tags ?? [],
    estimatedInputTokens: inputTokens,
    utilisation: context.utilisation ?? {},
    now: context.now === undefined ? Date.now() : Date.parse(context.now),
  });
  const decision = decideRoute(routing, attributes);

  const requestedOutput = parsed.maxTokens ?? DEFAULT_OUTPUT_TOKENS;
  const chosenOutput = effectiveOutput(parsed.maxTokens, decision.maxTokensCap);
  const before = routing.catalogue.estimateCostUsd(provider, parsed.model, inputTokens, requestedOutput);
  // A denied request costs nothing: it never reaches the provider.
  const after = decision.deny
    ? 0
    : routing.catalogue.estimateCostUsd(decision.provider, decision.model, inputTokens, chosenOutput);
  return {
    decision: {
      ...decision,
      fallbackChain: [...decision.fallbackChain],
      appliedRuleIds: [...decision.appliedRuleIds],
      evaluated: [...decision.evaluated],
      warnings: [...decision.warnings],
    },
    matchedRule: decision.ruleId === 'default' ? null : await getRoutingRule(tx, orgId, decision.ruleId),
    attributes: { ...attributes, tags: [...attributes.tags] },
    cost: {
      inputTokens,
      requested: { provider, model: parsed.model, outputTokens: requestedOutput, estimatedUsd: before },
      chosen: {
        provider: decision.provider,
        model: decision.model,
        outputTokens: decision.deny ? 0 : chosenOutput,
        estimatedUsd: after,
      },
      savingsUsd: before === null || after === null ? null : before - after,
    },
  };
}
