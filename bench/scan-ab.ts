// `npx tsx bench/scan-ab.ts OTHER_CHECKOUT [--size BYTES] [--requests N] [--rounds R] [--rows FILE.jsonl]
//   [--rows-request FILE.jsonl]`
// Whether a change made the scanner faster or slower. Two runs of the eval cannot compare two commits on this machine:
// the same scan's time moves by 1.5x or more from one minute to the next. Here both checkouts' detectors (another
// checkout's from its TypeScript sources, say `git worktree add --detach /tmp/base main`) live in one process and
// scan the same requests in alternating order, each with its kept results forgotten first.
// The checkout in the first slot is measured faster, whichever it is and whichever is loaded first: a checkout against
// itself shows 0.91-0.99 on synthetic requests and rows, 0.62-0.90 on `--rows-request` of real text. So the comparison runs twice, in two processes, this
// checkout in the first slot and then in the second, and per round prints both ratios and their geometric mean, in
// which a constant bias of the slot cancels.
// The synthetic requests are prose and JSON from a small vocabulary; `--rows` scans the `text` of each row of a JSONL
// file instead (say ../shared/eval/prompts.jsonl, or source files), as one user message each, and compares total
// time: real text meets far more trigger words, and code meets the `=` and `+` cues the synthetic text never has.
// `--rows-request` builds requests of `--size` bytes from a file's texts instead (48 segments, as the eval's `1MB
// rows`): long segments dense with trigger words.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Detector, ScanInput } from '../extproc/src/security/types.js';
import { rowsRequest, syntheticRequest } from './security-synthetic.js';
import { distribution } from './stats.js';

const THIS_CHECKOUT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Set in the two child processes: which slot (and loading order) this checkout has. */
const ORDER_ENV = 'SCAN_AB_ORDER';

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

async function scannerOf(root: string): Promise<Scanner> {
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
    reportRound(
      `${bodies.length} rows: this ${mine.toFixed(0)} ms, other ${theirs.toFixed(0)} ms`,
      mine / theirs,
    );
  }
}

/** Which slot holds this checkout in a child process. */
let slotOfThis = 0;

/** One round's figures (slot 0 against slot 1), and the ratio this/other on a line the parent process reads. */
function reportRound(figures: string, ratio: number): void {
  const thisOverOther = slotOfThis === 0 ? ratio : 1 / ratio;
  process.stdout.write(
    `${figures} (slot 0 is ${slotOfThis === 0 ? 'this' : 'the other'})\nRATIO ${thisOverOther}\n`,
  );
}

/** Runs the comparison in two processes, this checkout in the first slot and then the second; combines the ratios. */
function runBothOrders(argv: string[]): void {
  const script = fileURLToPath(import.meta.url);
  const ratios: number[][] = [];
  for (const order of ['this-first', 'this-second']) {
    const out = execFileSync(process.execPath, [...process.execArgv, script, ...argv], {
      env: { ...process.env, [ORDER_ENV]: order },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const lines = out.split('\n').filter((line) => line.startsWith('RATIO '));
    ratios.push(lines.map((line) => Number(line.slice(6))));
    process.stdout.write(`${order}: ${lines.map((l) => Number(l.slice(6)).toFixed(3)).join(' ')}\n`);
  }
  const [first, second] = ratios as [number[], number[]];
  first.forEach((r, round) => {
    const s = second[round] as number;
    process.stdout.write(
      `round ${round + 1}: this/other ${Math.sqrt(r * s).toFixed(3)} (first slot ${r.toFixed(3)}, second ` +
        `${s.toFixed(3)}; slot bias ${Math.sqrt(r / s).toFixed(3)})\n`,
    );
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const order = process.env[ORDER_ENV];
  if (order === undefined) {
    runBothOrders(argv);
    return;
  }
  // Slot 0 is always this checkout, slot 1 the other; only the loading order changes.
  // Each checkout is loaded in its slot's order; slot 0 is timed as 'this' in the loops below, so with this checkout
  // second, slot 0 holds the other and the ratio is inverted before it is reported.
  const thisFirst = order === 'this-first';
  const scanners: [Scanner, Scanner] = thisFirst
    ? [await scannerOf(THIS_CHECKOUT), await scannerOf(args.other)]
    : [await scannerOf(args.other), await scannerOf(THIS_CHECKOUT)];
  slotOfThis = thisFirst ? 0 : 1;
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
    reportRound(
      `${args.size} bytes x ${args.requests}: this p50 ${mine.toFixed(3)} ms, other p50 ${theirs.toFixed(3)} ms`,
      mine / theirs,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`scan-ab: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
