// `npx tsx bench/scan-ab.ts OTHER_CHECKOUT [--size BYTES] [--requests N] [--rounds R] [--rows FILE.jsonl]
//   [--rows-request FILE.jsonl]`
// Whether a change made the scanner faster or slower, measured where this machine's noise cannot decide it: this
// machine runs a whole process at one of two speeds (a 1 MB scan's p50 is about 11 or about 18 ms from one process to
// the next, for the same code), so two runs of the eval cannot compare two commits. Here both checkouts' detectors
// (another checkout's from its TypeScript sources, say `git worktree add --detach /tmp/base main`) live in one
// process and scan the same synthetic requests in alternating order, each with its kept results forgotten first.
// Prints both medians and the ratio this/other per round. The synthetic requests are prose and JSON from a small
// vocabulary; `--rows` scans the `text` of each row of a JSONL file instead (say ../shared/eval/prompts.jsonl, or
// source files), as one user message each, and compares total time: real text meets far more trigger words, and
// code meets the `=` and `+` cues the synthetic text never has. `--rows-request` builds requests of `--size` bytes
// from a file's texts instead (48 segments, as the eval's `1MB rows`): long segments dense with trigger words.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ALL_DETECTORS } from '../extproc/src/security/registry.js';
import { forgetKeptScanResults } from '../extproc/src/security/segment-memo.js';
import type { Detector, ScanInput } from '../extproc/src/security/types.js';
import { rowsRequest, syntheticRequest } from './security-synthetic.js';
import { distribution } from './stats.js';

interface Scanner {
  detectors: readonly Detector[];
  forget: () => void;
}

interface Args {
  other: string;
  size: number;
  requests: number;
  rounds: number;
  rows: string | null;
  rowsRequest: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { other: '', size: 1 << 20, requests: 20, rounds: 3, rows: null, rowsRequest: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = (): number => {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value <= 0) throw new Error(`${a} needs a positive integer`);
      return value;
    };
    if (a === '--size') args.size = next();
    else if (a === '--requests') args.requests = next();
    else if (a === '--rounds') args.rounds = next();
    else if (a === '--rows') args.rows = argv[++i] ?? null;
    else if (a === '--rows-request') args.rowsRequest = argv[++i] ?? null;
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.other = a;
  }
  if (args.other === '') {
    throw new Error('usage: tsx bench/scan-ab.ts OTHER_CHECKOUT [--size BYTES] [--requests N] [--rounds R]');
  }
  return args;
}

async function otherScanner(root: string): Promise<Scanner> {
  const registry = await import(resolve(root, 'extproc/src/security/registry.ts'));
  const memo = await import(resolve(root, 'extproc/src/security/segment-memo.ts'));
  return { detectors: registry.ALL_DETECTORS, forget: memo.forgetKeptScanResults };
}

function scan(scanner: Scanner, body: string): number {
  // Parsed untimed, as extproc parses a request body before scanning it.
  const input = JSON.parse(body) as ScanInput;
  scanner.forget();
  const started = performance.now();
  for (const detector of scanner.detectors) detector.scan(input);
  return performance.now() - started;
}

function rowTexts(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => String((JSON.parse(line) as { text?: unknown }).text ?? ''));
}

/** Each row's text as the JSON body of a request with one user message. */
function rowBodies(file: string): string[] {
  return rowTexts(file).map((text) => {
    const input: ScanInput = {
      segments: [{ kind: 'message', messageIndex: 0, role: 'user', partIndex: 0, text }],
      toolNames: [],
    };
    return JSON.stringify(input);
  });
}

/** Both sides scan every body, in alternating order; the totals are compared. */
function compareRows(scanners: [Scanner, Scanner], bodies: string[], rounds: number, report = true): void {
  for (let round = 0; round < rounds; round++) {
    const totals = [0, 0];
    bodies.forEach((body, i) => {
      for (const side of i % 2 === 0 ? [0, 1] : [1, 0]) {
        totals[side] = (totals[side] as number) + scan(scanners[side as 0 | 1], body);
      }
    });
    const [mine, theirs] = totals as [number, number];
    if (!report) continue;
    process.stdout.write(
      `round ${round + 1}: ${bodies.length} rows: this ${mine.toFixed(0)} ms, other ${theirs.toFixed(0)} ms, ` +
        `this/other ${(mine / theirs).toFixed(3)}\n`,
    );
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scanners: [Scanner, Scanner] = [
    { detectors: ALL_DETECTORS, forget: forgetKeptScanResults },
    await otherScanner(args.other),
  ];
  // Both sides optimised on the same small requests before anything is timed.
  for (let i = 0; i < 150; i++) {
    const body = JSON.stringify(syntheticRequest(i + 1, 16 * 1024));
    for (const scanner of scanners) scan(scanner, body);
  }
  if (args.rows !== null) {
    const bodies = rowBodies(args.rows);
    compareRows(scanners, bodies, 1, false); // warm-up on the same texts
    compareRows(scanners, bodies, args.rounds);
    return;
  }
  const texts = args.rowsRequest === null ? [] : rowTexts(args.rowsRequest);
  const request = (seed: number): ScanInput =>
    texts.length > 0 ? rowsRequest(texts, seed, args.size) : syntheticRequest(seed, args.size);
  for (let round = 0; round < args.rounds; round++) {
    const bodies = Array.from({ length: args.requests }, (_, i) =>
      JSON.stringify(request(1000 * (round + 1) + i)),
    );
    const times: [number[], number[]] = [[], []];
    bodies.forEach((body, i) => {
      // Which side goes first alternates, so neither always scans right after a garbage-making parse.
      const order = i % 2 === 0 ? [0, 1] : [1, 0];
      for (const side of order) times[side as 0 | 1].push(scan(scanners[side as 0 | 1], body));
    });
    const [mine, theirs] = times.map((t) => distribution(t).p50) as [number, number];
    process.stdout.write(
      `round ${round + 1}: ${args.size} bytes x ${args.requests}: this p50 ${mine.toFixed(3)} ms, ` +
        `other p50 ${theirs.toFixed(3)} ms, this/other ${(mine / theirs).toFixed(3)}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`scan-ab: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
