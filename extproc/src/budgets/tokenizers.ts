// Token counting for cost estimates. Tokenizers load on first use (importing one costs ~20-110 ms and tens of MB,
// paid once per process; `preloadTokenizers` moves that to startup).
//
// Hot-path cost: gpt-tokenizer counts roughly 10-25 MB/s of text and the Claude (WASM tiktoken) tokenizer about
// half that, so each request tokenizes at most `maxChars` characters that are not already cached. Anything beyond
// is counted as its UTF-8 byte length: every token of a byte-level BPE covers at least one byte, so that can only
// over-count. Agents resend the same conversation every turn, so texts of a useful size are cached (LRU by total
// characters) and only new messages cost tokenizer time.
import { Buffer } from 'node:buffer';

export type Encoding = 'o200k_base' | 'cl100k_base' | 'claude';

type Count = (text: string) => number;

const NO_SPECIAL_TOKENS = { disallowedSpecial: new Set<string>() };

const loaders: Record<Encoding, () => Promise<Count>> = {
  // Special-token strings in user text are plain text to OpenAI: count them as such instead of throwing.
  o200k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => countTokens(text, NO_SPECIAL_TOKENS);
  },
  cl100k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
    return (text) => countTokens(text, NO_SPECIAL_TOKENS);
  },
  // The package's own countTokens builds (and frees) a tokenizer per call; one kept instance is ~100× cheaper.
  claude: async () => {
    const { getTokenizer } = await import('@anthropic-ai/tokenizer');
    const tokenizer = getTokenizer();
    return (text) => tokenizer.encode(text.normalize('NFKC'), 'all').length;
  },
};

const loaded = new Map<Encoding, Promise<Count>>();

function load(encoding: Encoding): Promise<Count> {
  let pending = loaded.get(encoding);
  if (pending === undefined) {
    pending = loaders[encoding]();
    // A failed import may succeed later (e.g. EMFILE): do not cache the rejection.
    pending.catch(() => loaded.delete(encoding));
    loaded.set(encoding, pending);
  }
  return pending;
}

export async function preloadTokenizers(
  encodings: readonly Encoding[] = ['o200k_base', 'claude'],
): Promise<void> {
  await Promise.all(encodings.map(load));
}

/** Texts shorter than this are cheaper to tokenize again than to cache. */
const MIN_CACHED_CHARS = 256;

class CountCache {
  private readonly entries = new Map<string, number>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(text: string): number | undefined {
    const hit = this.entries.get(text);
    if (hit !== undefined) {
      this.entries.delete(text);
      this.entries.set(text, hit);
    }
    return hit;
  }

  set(text: string, tokens: number): void {
    if (text.length > this.maxChars) return;
    if (this.entries.delete(text)) this.chars -= text.length;
    this.entries.set(text, tokens);
    this.chars += text.length;
    for (const [oldest] of this.entries) {
      if (this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
  }
}

export interface TokenCounterOptions {
  /** Characters tokenized per request (uncached text); the rest is counted as UTF-8 bytes. */
  maxChars: number;
  /** Total characters of texts whose counts are cached, per encoding. */
  cacheChars: number;
}

export class TokenCounters {
  private readonly caches = new Map<Encoding, CountCache>();

  constructor(private readonly options: TokenCounterOptions) {}

  /** A counter for one request: tokenizes until its character allowance is spent. */
  async forRequest(encoding: Encoding): Promise<RequestTokenCounter> {
    const count = await load(encoding);
    let cache = this.caches.get(encoding);
    if (cache === undefined) {
      cache = new CountCache(this.options.cacheChars);
      this.caches.set(encoding, cache);
    }
    return new RequestTokenCounter(count, cache, this.options.maxChars);
  }
}

export class RequestTokenCounter {
  /** Tokens counted by the tokenizer (a model-specific safety factor may apply to these). */
  tokenized = 0;
  /** Upper bound for texts beyond the allowance (UTF-8 bytes, never scaled). */
  bytes = 0;

  constructor(
    private readonly count: Count,
    private readonly cache: CountCache,
    private remainingChars: number,
  ) {}

  add(text: string): void {
    if (text === '') return;
    const cacheable = text.length >= MIN_CACHED_CHARS;
    const hit = cacheable ? this.cache.get(text) : undefined;
    if (hit !== undefined) {
      this.tokenized += hit;
      return;
    }
    if (text.length > this.remainingChars) {
      this.bytes += Buffer.byteLength(text, 'utf8');
      return;
    }
    this.remainingChars -= text.length;
    const tokens = this.count(text);
    if (cacheable) this.cache.set(text, tokens);
    this.tokenized += tokens;
  }
}
