// Facts the price list does not carry: context window, output limit and capabilities of current OpenAI and Anthropic
// models. Sources: OpenAI's model pages (https://platform.openai.com/docs/models: "Context window", "Max output
// tokens", "Features"/"Modalities") and Anthropic's model comparison and context-window pages
// (https://docs.anthropic.com/en/docs/about-claude/models/overview). Values are the documented defaults, without
// opt-in betas (e.g. Claude's 1M-token context), so a model is never judged able to do more than a plain request
// gets. When unsure a capability is listed as false: cheapest_capable then never picks the model for that need, and
// an org can correct it with a model override.
//
// Models absent here still get a context window from @pydantic/genai-prices when it has one (catalogue.ts), with
// no capabilities. Add a model when its provider documents it; keep the alphabetical groups.
import type { ProviderId } from '../providers/types.js';
import type { ModelCapabilities } from './types.js';

export interface BuiltinModel {
  provider: ProviderId;
  model: string;
  /** Other names the provider accepts for the same model (dated snapshots resolve on their own). */
  aliases?: readonly string[];
  /** Input + output tokens. */
  contextWindow: number;
  /** When the provider limits input below contextWindow - maxOutputTokens. */
  maxInputTokens?: number;
  maxOutputTokens: number;
  capabilities: ModelCapabilities;
}

const CHAT: ModelCapabilities = { tools: true, vision: true, jsonMode: true, reasoning: false };
const REASONING: ModelCapabilities = { tools: true, vision: true, jsonMode: true, reasoning: true };

// GPT-5 family: 400k context of which at most 272k input (OpenAI's GPT-5 model pages).
const GPT5 = {
  contextWindow: 400_000,
  maxInputTokens: 272_000,
  maxOutputTokens: 128_000,
  capabilities: REASONING,
};

const OPENAI: readonly BuiltinModel[] = [
  {
    provider: 'openai',
    model: 'gpt-4-turbo',
    contextWindow: 128_000,
    maxOutputTokens: 4_096,
    capabilities: CHAT,
  },
  {
    provider: 'openai',
    model: 'gpt-4.1',
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: CHAT,
  },
  {
    provider: 'openai',
    model: 'gpt-4.1-mini',
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: CHAT,
  },
  {
    provider: 'openai',
    model: 'gpt-4.1-nano',
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: CHAT,
  },
  {
    provider: 'openai',
    model: 'gpt-4o',
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: CHAT,
  },
  // The first gpt-4o snapshot kept the older 4,096-token output limit.
  {
    provider: 'openai',
    model: 'gpt-4o-2024-05-13',
    contextWindow: 128_000,
    maxOutputTokens: 4_096,
    capabilities: CHAT,
  },
  {
    provider: 'openai',
    model: 'gpt-4o-mini',
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: CHAT,
  },
  { provider: 'openai', model: 'gpt-5', ...GPT5 },
  { provider: 'openai', model: 'gpt-5-mini', ...GPT5 },
  { provider: 'openai', model: 'gpt-5-nano', ...GPT5 },
  { provider: 'openai', model: 'gpt-5.1', ...GPT5 },
  { provider: 'openai', model: 'gpt-5.2', ...GPT5 },
  {
    provider: 'openai',
    model: 'o1',
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: REASONING,
  },
  {
    provider: 'openai',
    model: 'o3',
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: REASONING,
  },
  {
    provider: 'openai',
    model: 'o3-mini',
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: { ...REASONING, vision: false },
  },
  {
    provider: 'openai',
    model: 'o4-mini',
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: REASONING,
  },
];

// Claude: tools and image input on every model listed; "jsonMode" is Anthropic's structured outputs, launched for
// Sonnet 4.5 and Opus 4.1; "reasoning" is extended thinking.
const CLAUDE: ModelCapabilities = { tools: true, vision: true, jsonMode: false, reasoning: true };

const ANTHROPIC: readonly BuiltinModel[] = [
  {
    provider: 'anthropic',
    model: 'claude-3-5-haiku',
    aliases: ['claude-3-5-haiku-latest'],
    contextWindow: 200_000,
    maxOutputTokens: 8_192,
    // Launched text-only; listed without vision so image requests never land on it.
    capabilities: { ...CLAUDE, vision: false, reasoning: false },
  },
  {
    provider: 'anthropic',
    model: 'claude-3-7-sonnet',
    aliases: ['claude-3-7-sonnet-latest'],
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CLAUDE,
  },
  {
    provider: 'anthropic',
    model: 'claude-3-haiku',
    contextWindow: 200_000,
    maxOutputTokens: 4_096,
    capabilities: { ...CLAUDE, reasoning: false },
  },
  {
    provider: 'anthropic',
    model: 'claude-haiku-4-5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CLAUDE,
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4',
    aliases: ['claude-opus-4-0'],
    contextWindow: 200_000,
    maxOutputTokens: 32_000,
    capabilities: CLAUDE,
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-1',
    contextWindow: 200_000,
    maxOutputTokens: 32_000,
    capabilities: { ...CLAUDE, jsonMode: true },
  },
  {
    provider: 'anthropic',
    model: 'claude-opus-4-5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CLAUDE,
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4',
    aliases: ['claude-sonnet-4-0'],
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CLAUDE,
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: { ...CLAUDE, jsonMode: true },
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-6',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: { ...CLAUDE, jsonMode: true },
  },
];

export const BUILTIN_MODELS: readonly BuiltinModel[] = [...OPENAI, ...ANTHROPIC];
