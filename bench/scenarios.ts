// The request mix, shared by the orchestrator (sanity checks, labels) and the load generator (the bytes it sends).
// Both setups receive byte-identical requests except for the credential: Envoy alone forwards the client's key
// as-is, so its clients must present the provider key, while the full pipeline expects a gateway key and swaps
// it. The keys have equal length so header sizes match too.

export type ScenarioName = 'openai-chat' | 'openai-stream' | 'anthropic-stream';
/** `floor`: Envoy with a no-op ext_proc server (bench/floor-extproc.ts), the protocol's own cost. */
export type Setup = 'alone' | 'full' | 'floor';

export const SCENARIO_NAMES: readonly ScenarioName[] = ['openai-chat', 'openai-stream', 'anthropic-stream'];

export const SETUP_LABELS: Record<Setup, string> = {
  alone: 'Envoy alone',
  full: 'Envoy + extproc',
  floor: 'Envoy + no-op ext_proc',
};

const pad = (prefix: string): string => prefix.padEnd(48, '0');
export const KEYS = {
  gateway: pad('acc-bench-gateway-key-'),
  openaiProvider: pad('sk-bench-openai-provider-'),
  anthropicProvider: pad('sk-ant-bench-provider-'),
} as const;

/** Content pieces (= SSE content events) the fake generates per response; no artificial delay anywhere. */
export const PIECES = 12;

export interface ScenarioInfo {
  name: ScenarioName;
  title: string;
  stream: boolean;
  /** Found near the end of a complete response; a 200 without it means a truncated body. */
  terminator: string;
}

export const SCENARIOS: Record<ScenarioName, ScenarioInfo> = {
  'openai-chat': {
    name: 'openai-chat',
    title: `OpenAI POST /v1/chat/completions, non-streaming (${PIECES} tokens)`,
    stream: false,
    terminator: '}',
  },
  'openai-stream': {
    name: 'openai-stream',
    title: `OpenAI POST /v1/chat/completions, streaming (${PIECES} content chunks)`,
    stream: true,
    terminator: '[DONE]',
  },
  'anthropic-stream': {
    name: 'anthropic-stream',
    title: `Anthropic POST /v1/messages, streaming (${PIECES} content deltas)`,
    stream: true,
    terminator: 'message_stop',
  },
};

// A realistic agent-sized prompt (~1.5 KB) so body buffering and JSON parsing in extproc cost what they would.
const SYSTEM =
  'You are a careful coding assistant working inside a large TypeScript monorepo. Answer concisely, cite file ' +
  'paths when you refer to code, and never invent APIs that do not exist in the repository.';
const USER =
  'Here is the failing test output and the relevant function. Explain the root cause and propose a minimal fix.\n' +
  `${'expected 42 to equal 41 at computeTotals (src/billing/totals.ts:88:13)\n'.repeat(12)}` +
  'function computeTotals(items) { return items.reduce((sum, item) => sum + item.price * item.qty, 0) - 1; }';

export interface RequestSpec {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export function requestSpec(scenario: ScenarioName, setup: Setup): RequestSpec {
  const info = SCENARIOS[scenario];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-fake-pieces': String(PIECES),
  };
  let path: string;
  let body: unknown;
  if (scenario === 'anthropic-stream') {
    path = '/v1/messages';
    headers['x-api-key'] = setup === 'alone' ? KEYS.anthropicProvider : KEYS.gateway;
    headers['anthropic-version'] = '2023-06-01';
    body = {
      model: 'claude-sonnet-4-6',
      max_tokens: 1024,
      system: SYSTEM,
      messages: [{ role: 'user', content: USER }],
      stream: true,
    };
  } else {
    path = '/v1/chat/completions';
    headers.authorization = `Bearer ${setup === 'alone' ? KEYS.openaiProvider : KEYS.gateway}`;
    body = {
      model: 'gpt-4o-mini',
      max_tokens: 1024,
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: USER },
      ],
      // No stream_options: the common client default, and the path where extproc has to inject include_usage.
      ...(info.stream ? { stream: true } : {}),
    };
  }
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  headers['content-length'] = String(bytes.length);
  return { path, headers, body: bytes };
}
