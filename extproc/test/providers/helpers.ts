// Test helpers: recorded OpenAI traffic, ways to cut a byte stream into chunks, and a stream runner.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { ProviderAdapter, StreamError, Usage } from '../../src/providers/index.js';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
export const openaiRecordingsDir = resolve(repoRoot, '../shared/recordings/openai');

export interface Recording {
  name: string;
  method: string;
  url: string;
  requestBody: string;
  status: number;
  contentType: string;
  responseBody: string;
}

interface Cassette {
  interactions: Array<{
    request: { method: string; url: string; body: string };
    response: { code: number; body: string; headers: Record<string, string[]> };
  }>;
}

export function loadOpenAIRecordings(): Recording[] {
  const out: Recording[] = [];
  for (const file of readdirSync(openaiRecordingsDir).sort()) {
    if (!file.endsWith('.yaml')) continue;
    const cassette = parse(readFileSync(join(openaiRecordingsDir, file), 'utf8')) as Cassette;
    for (const { request, response } of cassette.interactions) {
      out.push({
        name: file.replace(/\.yaml$/, ''),
        method: request.method,
        url: request.url,
        requestBody: request.body,
        status: response.code,
        contentType: response.headers['Content-Type']?.[0] ?? '',
        responseBody: response.body,
      });
    }
  }
  return out;
}

export function recording(name: string): Recording {
  const found = loadOpenAIRecordings().find((r) => r.name === name);
  if (!found) throw new Error(`no recording ${name}`);
  return found;
}

/** Deterministic PRNG (mulberry32), so "random" chunkings are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function splitAt(bytes: Buffer, at: number): Buffer[] {
  return [bytes.subarray(0, at), bytes.subarray(at)];
}

export function bytewise(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) out.push(bytes.subarray(i, i + 1));
  return out;
}

export function randomChunks(bytes: Buffer, seed: number, maxSize = 97): Buffer[] {
  const random = seededRandom(seed);
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    // Empty chunks are legal input too, so sizes start at 0.
    const size = Math.floor(random() * (maxSize + 1));
    out.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/** Every way this test suite cuts a stream: each two-piece split, 1-byte pieces, and seeded random sizes. */
export function* chunkings(bytes: Buffer): Generator<{ label: string; chunks: Buffer[] }> {
  yield { label: 'whole', chunks: [bytes] };
  for (let i = 0; i <= bytes.length; i++) yield { label: `split@${i}`, chunks: splitAt(bytes, i) };
  yield { label: 'bytewise', chunks: bytewise(bytes) };
  for (let seed = 1; seed <= 20; seed++) yield { label: `random#${seed}`, chunks: randomChunks(bytes, seed) };
}

export interface StreamRun {
  output: Buffer;
  usage: Usage | null;
  model: string | null;
  error: StreamError | null;
  events: number;
  /** Whether each push returned the very Buffer it was given. */
  sameBuffers: boolean;
  /** The `raw` bytes of every block in lastEvents after each push and end, in order. */
  eventBytes: Buffer;
}

export function runStream(adapter: ProviderAdapter, chunks: Buffer[], stripInjectedUsage = false): StreamRun {
  const observer = adapter.createStreamObserver({ stripInjectedUsage });
  const pieces: Buffer[] = [];
  const eventPieces: Buffer[] = [];
  let sameBuffers = true;
  for (const chunk of chunks) {
    const out = observer.push(chunk);
    if (out !== chunk) sameBuffers = false;
    pieces.push(out);
    for (const event of observer.lastEvents) eventPieces.push(event.raw);
  }
  pieces.push(observer.end());
  for (const event of observer.lastEvents) eventPieces.push(event.raw);
  return {
    eventBytes: Buffer.concat(eventPieces),
    output: Buffer.concat(pieces),
    usage: observer.usage,
    model: observer.model,
    error: observer.error,
    events: observer.events,
    sameBuffers,
  };
}

/** A comparable fingerprint of a run (everything but buffer identity). */
export function summary(run: StreamRun): string {
  return JSON.stringify([run.output.toString('base64'), run.usage, run.model, run.error, run.events]);
}

export function usage(
  inputTokens: number,
  cacheReadTokens: number,
  cacheWriteTokens: number,
  outputTokens: number,
  reasoningTokens: number,
): Usage {
  return { inputTokens, cacheReadTokens, cacheWriteTokens, outputTokens, reasoningTokens };
}

export function toCRLF(text: string): string {
  return text.replace(/\n/g, '\r\n');
}

export function toCR(text: string): string {
  return text.replace(/\n/g, '\r');
}
