// An input-token estimate for requests that do not come with one (the control plane's dry run). It counts text with
// the o200k tokenizer (exact for current OpenAI models, an approximation for Claude) plus the documented per-message
// and per-image costs. The request pipeline has its own estimate; this module loads the tokenizer, so the hot path
// does not import it.
import { countTokens } from 'gpt-tokenizer';
import type { ParsedRequest, ProviderId } from '../providers/types.js';

// OpenAI's chat format: about 3 tokens of framing per message and 3 to prime the reply (OpenAI cookbook,
// "How to count tokens with tiktoken").
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
// Image sizes are not known without decoding them: price a 1024×1024 image. OpenAI high detail: 85 + 4 tiles × 170;
// Anthropic: width × height / 750.
const PER_IMAGE: Readonly<Record<ProviderId, number>> = { openai: 765, anthropic: 1398 };
// User text may contain special-token spellings such as <|endoftext|>: count them as plain text, never throw.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

function count(text: string): number {
  return text === '' ? 0 : countTokens(text, PLAIN_TEXT);
}

export function estimateInputTokens(request: ParsedRequest): number {
  let tokens = REPLY_PRIMING;
  for (const text of request.system) tokens += count(text) + PER_MESSAGE;
  for (const message of request.messages) {
    tokens += PER_MESSAGE;
    for (const text of message.texts) tokens += count(text);
    for (const call of message.toolCalls) tokens += count(call.name) + count(call.arguments);
    tokens += message.imageCount * PER_IMAGE[request.provider];
  }
  if (request.tools.length > 0) tokens += count(JSON.stringify(request.tools));
  return tokens;
}
