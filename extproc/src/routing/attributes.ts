// What a routing decision looks at: the request as parsed plus who sent it and where their budgets stand. Built once
// per request; rules see it as the CEL variable `request` (cel.ts).
import type { ParsedRequest, ProviderId } from '../providers/types.js';
import type { CelRequest } from './cel.js';

export interface RouteAttributes {
  /** As requested by the client. */
  model: string;
  provider: ProviderId;
  /** Endpoint name, e.g. `chat_completions`, `messages`. */
  endpoint: string;
  /** Team name (rules read better with names); null when the key has no team. */
  team: string | null;
  teamId: string | null;
  /** Gateway key id. */
  key: string | null;
  agent: string | null;
  tags: readonly string[];
  estimatedInputTokens: number;
  /** max_tokens as sent; null = not set. */
  maxTokens: number | null;
  stream: boolean;
  hasTools: boolean;
  hasImages: boolean;
  /** The client asked for JSON output (OpenAI response_format, Anthropic output_format). */
  jsonMode: boolean;
  /** The client asked for reasoning (OpenAI reasoning_effort other than none, Anthropic thinking). */
  reasoning: boolean;
  /** 0-23, UTC. */
  hour: number;
  /** 0 = Sunday … 6 = Saturday, UTC (CEL's getDayOfWeek numbering). */
  weekday: number;
  /** Budget utilisation by scope (`key`, `team`, …): spent / limit of the tightest budget, 0 when none applies. */
  utilisation: Readonly<Record<string, number>>;
}

export interface RouteContext {
  team: { id: string; name: string } | null;
  key: string | null;
  agent: string | null;
  tags: readonly string[];
  estimatedInputTokens: number;
  utilisation: Readonly<Record<string, number>>;
  now: Date | number;
  /** Default: the provider's endpoint (`chat_completions` for OpenAI, `messages` for Anthropic). */
  endpoint?: string;
}

const DEFAULT_ENDPOINT: Readonly<Record<ProviderId, string>> = {
  openai: 'chat_completions',
  anthropic: 'messages',
};

function field(body: Record<string, unknown>, name: string): Record<string, unknown> | null {
  const value = body[name];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function asksForJson(request: ParsedRequest): boolean {
  if (request.provider === 'openai') {
    const type = field(request.body, 'response_format')?.type;
    return type === 'json_object' || type === 'json_schema';
  }
  return field(request.body, 'output_format')?.type === 'json_schema';
}

function asksForReasoning(request: ParsedRequest): boolean {
  if (request.provider === 'openai') {
    const effort = request.body.reasoning_effort;
    return typeof effort === 'string' && effort !== 'none';
  }
  return field(request.body, 'thinking')?.type === 'enabled';
}

export function routeAttributesFrom(request: ParsedRequest, ctx: RouteContext): RouteAttributes {
  const now = typeof ctx.now === 'number' ? new Date(ctx.now) : ctx.now;
  let hasImages = false;
  for (const message of request.messages) {
    if (message.imageCount > 0) {
      hasImages = true;
      break;
    }
  }
  return {
    model: request.model,
    provider: request.provider,
    endpoint: ctx.endpoint ?? DEFAULT_ENDPOINT[request.provider],
    team: ctx.team?.name ?? null,
    teamId: ctx.team?.id ?? null,
    key: ctx.key,
    agent: ctx.agent,
    tags: ctx.tags,
    estimatedInputTokens: ctx.estimatedInputTokens,
    maxTokens: request.maxTokens,
    stream: request.stream,
    hasTools: request.tools.length > 0,
    hasImages,
    jsonMode: asksForJson(request),
    reasoning: asksForReasoning(request),
    hour: now.getUTCHours(),
    weekday: now.getUTCDay(),
    utilisation: ctx.utilisation,
  };
}

function int(value: number): bigint {
  return BigInt(Number.isFinite(value) ? Math.trunc(value) : 0);
}

/**
 * The CEL value of `request`. Unknown strings are '' and an unset max_tokens is 0, so conditions such as
 * `request.team == 'ml'` are simply false rather than an evaluation error.
 */
export function celRequestOf(attrs: RouteAttributes): CelRequest {
  return {
    model: attrs.model,
    provider: attrs.provider,
    endpoint: attrs.endpoint,
    team: attrs.team ?? '',
    team_id: attrs.teamId ?? '',
    key: attrs.key ?? '',
    agent: attrs.agent ?? '',
    tags: attrs.tags,
    estimated_input_tokens: int(attrs.estimatedInputTokens),
    max_tokens: int(attrs.maxTokens ?? 0),
    stream: attrs.stream,
    has_tools: attrs.hasTools,
    has_images: attrs.hasImages,
    json_mode: attrs.jsonMode,
    reasoning: attrs.reasoning,
    hour: int(attrs.hour),
    weekday: int(attrs.weekday),
    key_utilisation: attrs.utilisation.key ?? 0,
    team_utilisation: attrs.utilisation.team ?? 0,
    budget: attrs.utilisation,
  };
}
