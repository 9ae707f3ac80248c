// `request.estimated_input_tokens` for live requests. It counts exactly what the control plane's dry run counts
// (estimate.ts: the o200k tokenizer plus the same per-message, reply and per-image allowances), so a sample request
// gets the same decision in the dry run and through the gateway. Two differences keep the hot path bounded: texts
// of 256 characters or more are counted once and cached (agents resend their conversation every turn), and past
// `maxChars` uncached characters per request the rest is counted as its UTF-8 byte length (never fewer tokens).

import { TokenCounters } from '../budgets/tokenizers.js';
import type { ParsedRequest, ProviderId } from '../providers/types.js';

// The same allowances as estimate.ts (OpenAI cookbook framing; a 1024×1024 image).
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;
const PER_IMAGE: Readonly<Record<ProviderId, number>> = { openai: 765, anthropic: 1398 };

export interface InputEstimatorOptions {
  /** Uncached characters tokenized per request. Default 32,000. */
  maxChars?: number;
  /** Characters of texts whose counts are cached. Default 1,000,000. */
  cacheChars?: number;
}

export class RouteInputEstimator {
  private readonly counters: TokenCounters;

  constructor(options: InputEstimatorOptions = {}) {
    this.counters = new TokenCounters({
      maxChars: options.maxChars ?? 32_000,
      cacheChars: options.cacheChars ?? 1_000_000,
    });
  }

  async estimate(request: ParsedRequest): Promise<number> {
    const counter = await this.counters.forRequest('o200k_base');
    let fixed = REPLY_PRIMING;
    for (const text of request.system) {
      counter.add(text);
      fixed += PER_MESSAGE;
    }
    for (const message of request.messages) {
      fixed += PER_MESSAGE + message.imageCount * PER_IMAGE[request.provider];
      for (const text of message.texts) counter.add(text);
      for (const call of message.toolCalls) {
        counter.add(call.name);
        counter.add(call.arguments);
      }
    }
    if (request.tools.length > 0) counter.add(JSON.stringify(request.tools));
    return counter.tokenized + counter.bytes + fixed;
  }
}
