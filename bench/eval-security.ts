// `npm run eval:security [-- FILE.jsonl …] [--json] [--misses N] [--fp N] [--no-synthetic] [--as-tool-result]`
// Measures the ClawShield detectors on labelled JSONL ({id, source, label, category, text} per line; default: every
// *.jsonl in ../shared/eval next to the repo): recall on attack rows (labels attack/secret/malicious), false-positive
// rate on benign rows (benign/clean), and scan time per row; then full-scanner latency on synthetic 16 KB and 1 MB
// requests. Not a test: it never fails, it reports.
//
// Method (kept deliberately simple and honest):
// - every row is scanned as ONE `message` segment with role `user`, except indirect-injection rows (category
//   `indirect-injection:*`): those are instructions hidden in content, so they are scanned where they occur, inserted
//   into an ordinary email, newsletter or table (bench/indirect-carriers.ts) that arrives alternately as a tool
//   result and as a document pasted into the user's message, after the user's own task; with --as-tool-result
//   every row is scanned as the text of a tool result instead (documents with planted instructions arrive so);
// - a row counts as detected by a detector when that detector returns at least one finding, of any severity;
// - a file without benign rows (tool-abuse.jsonl) borrows the `security-sounding` benign rows of prompts.jsonl
//   from the default eval folder for its false-positive rate (not with --as-tool-result: a user's request inside a
//   tool result is a planted task);
// - per-detector time scans a fresh segment object, so each detector pays its own normalisation; "all detectors"
//   time scans another fresh segment with every detector in turn, sharing normalisation the way the scanner does;
//   results kept for resent texts (segment-memo.ts) are forgotten before every timed scan, so each is a first scan.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ALL_DETECTORS } from '../extproc/src/security/registry.js';
import { forgetKeptScanResults } from '../extproc/src/security/segment-memo.js';
import type { Detector, DetectorId, ScanInput, ScanSegment } from '../extproc/src/security/types.js';
import { indirectRequest, isIndirectRow } from './indirect-carriers.js';
import { ROWS_PER_SEED, rowsRequest, syntheticRequest } from './security-synthetic.js';
import { distribution } from './stats.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DIR = resolve(REPO, '../shared/eval');
const ATTACK_LABELS = new Set(['attack', 'secret', 'malicious']);
const BENIGN_LABELS = new Set(['benign', 'clean']);
const PRIMARY: Readonly<Record<string, DetectorId>> = {
  'prompts.jsonl': 'prompt_injection',
  'secrets.jsonl': 'secrets',
  'tool-abuse.jsonl': 'malicious_code',
  // External sets (`npm run eval:external`) whose categories are worth a breakdown; the targets are the dev split's.
  'encoded.jsonl': 'prompt_injection',
};
const DEV_SPLIT_FILES = new Set(['prompts.jsonl', 'secrets.jsonl', 'tool-abuse.jsonl']);
/** Development-split targets: minimum recall, maximum false-positive rate. */
const TARGETS: Partial<Record<DetectorId, { recall: number; fpr: number }>> = {
  prompt_injection: { recall: 0.9, fpr: 0.02 },
  malicious_code: { recall: 0.85, fpr: 0.03 },
};
const LATENCY_TARGET_MS = { '16KB': 1, '1MB': 20, '1MB rows': 20, '1MB spread': 20 } as const;

interface Row {
  id: string;
  source: string;
  label: string;
  category: string;
  text: string;
}

interface Args {
  files: string[];
  json: boolean;
  misses: number;
  fps: number;
  synthetic: boolean;
  asToolResult: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], json: false, misses: 0, fps: 0, synthetic: true, asToolResult: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') args.json = true;
    else if (a === '--no-synthetic') args.synthetic = false;
    else if (a === '--as-tool-result') args.asToolResult = true;
    else if (a === '--misses') args.misses = Number(argv[++i] ?? 20);
    else if (a === '--fp') args.fps = Number(argv[++i] ?? 20);
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'usage: tsx bench/eval-security.ts [FILE.jsonl ...] [--json] [--misses N] [--fp N] [--no-synthetic] [--as-tool-result]\n',
      );
      process.exit(0);
    } else args.files.push(resolve(process.cwd(), a));
  }
  if (args.files.length === 0) {
    args.files = readdirSync(DEFAULT_DIR)
      .filter((f) => f.endsWith('.jsonl'))
      .sort()
      .map((f) => join(DEFAULT_DIR, f));
  }
  return args;
}

function readRows(file: string): Row[] {
  const rows: Row[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as Partial<Row>;
    rows.push({
      id: String(r.id ?? rows.length),
      source: String(r.source ?? ''),
      label: String(r.label ?? ''),
      category: String(r.category ?? ''),
      text: String(r.text ?? ''),
    });
  }
  return rows;
}

function userMessage(text: string): ScanInput {
  const segment: ScanSegment = { kind: 'message', messageIndex: 0, role: 'user', partIndex: 0, text };
  return { segments: [segment], toolNames: [] };
}

function toolResult(text: string): ScanInput {
  const segment: ScanSegment = { kind: 'tool_result', messageIndex: 1, role: 'tool', partIndex: 0, text };
  return { segments: [segment], toolNames: [] };
}

/** Every row as a tool result's text (--as-tool-result). */
let rowsAsToolResults = false;

/** The request a row arrives in (fresh objects each call, so no normalisation is shared between timings). */
function requestFor(row: Row, index: number): ScanInput {
  if (rowsAsToolResults) return toolResult(row.text);
  return isIndirectRow(row.category) ? indirectRequest(row.text, index) : userMessage(row.text);
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain'], { cwd: REPO, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return 'unknown';
  }
}

interface DetectorResult {
  detector: DetectorId | 'any';
  primary: boolean;
  attacks: number;
  detected: number;
  recall: number;
  benign: number;
  flagged: number;
  fpr: number;
  p50ms: number;
  p99ms: number;
  recallByCategory: Record<string, { n: number; detected: number }>;
  fprByCategory: Record<string, { n: number; flagged: number }>;
}

interface FileResult {
  file: string;
  attacks: number;
  benign: number;
  benignSource: string;
  detectors: DetectorResult[];
  allDetectorsP50ms: number;
  allDetectorsP99ms: number;
}

interface Outcome {
  row: Row;
  hits: Map<DetectorId, boolean>;
}

function evaluate(rows: Row[], detectors: readonly Detector[]) {
  const times = new Map<DetectorId, number[]>(detectors.map((d) => [d.id, []]));
  const allTimes: number[] = [];
  const outcomes: Outcome[] = [];
  for (const [index, row] of rows.entries()) {
    const hits = new Map<DetectorId, boolean>();
    for (const d of detectors) {
      const input = requestFor(row, index);
      forgetKeptScanResults();
      const t0 = performance.now();
      const findings = d.scan(input);
      times.get(d.id)?.push(performance.now() - t0);
      hits.set(d.id, findings.length > 0);
    }
    const input = requestFor(row, index);
    forgetKeptScanResults();
    const t0 = performance.now();
    for (const d of detectors) d.scan(input);
    allTimes.push(performance.now() - t0);
    outcomes.push({ row, hits });
  }
  return { outcomes, times, allTimes };
}

function summarise(
  file: string,
  outcomes: Outcome[],
  times: Map<DetectorId, number[]>,
  allTimes: number[],
  detectors: readonly Detector[],
  benignSource: string,
): FileResult {
  const attacks = outcomes.filter((o) => ATTACK_LABELS.has(o.row.label));
  const benign = outcomes.filter((o) => BENIGN_LABELS.has(o.row.label));
  const primary = PRIMARY[basename(file)];
  const result = (
    id: DetectorId | 'any',
    hit: (o: Outcome) => boolean,
    samples: number[],
  ): DetectorResult => {
    const recallByCategory: DetectorResult['recallByCategory'] = {};
    for (const o of attacks) {
      const c = recallByCategory[o.row.category] ?? { n: 0, detected: 0 };
      recallByCategory[o.row.category] = c;
      c.n++;
      if (hit(o)) c.detected++;
    }
    const fprByCategory: DetectorResult['fprByCategory'] = {};
    for (const o of benign) {
      const c = fprByCategory[o.row.category] ?? { n: 0, flagged: 0 };
      fprByCategory[o.row.category] = c;
      c.n++;
      if (hit(o)) c.flagged++;
    }
    const detected = attacks.filter(hit).length;
    const flagged = benign.filter(hit).length;
    const dist = distribution(samples);
    return {
      detector: id,
      primary: id === primary,
      attacks: attacks.length,
      detected,
      recall: attacks.length > 0 ? detected / attacks.length : Number.NaN,
      benign: benign.length,
      flagged,
      fpr: benign.length > 0 ? flagged / benign.length : Number.NaN,
      p50ms: dist.p50,
      p99ms: dist.p99,
      recallByCategory,
      fprByCategory,
    };
  };
  const perDetector = detectors.map((d) =>
    result(d.id, (o) => o.hits.get(d.id) === true, times.get(d.id) ?? []),
  );
  perDetector.push(result('any', (o) => [...o.hits.values()].some(Boolean), allTimes));
  const all = distribution(allTimes);
  return {
    file: basename(file),
    attacks: attacks.length,
    benign: benign.length,
    benignSource,
    detectors: perDetector,
    allDetectorsP50ms: all.p50,
    allDetectorsP99ms: all.p99,
  };
}

interface LatencyResult {
  size: keyof typeof LATENCY_TARGET_MS;
  chars: number;
  segments: number;
  runs: number;
  p50ms: number;
  p99ms: number;
  /** Process CPU time per run: on a shared machine, wall-clock p99 mostly measures the neighbours. */
  cpuP50ms: number;
  cpuP99ms: number;
  /** Fastest of three scans of the same request: its intrinsic cost. */
  bestOf3P50ms: number;
  bestOf3P99ms: number;
  targetMs: number;
}

/** A full collection, which also moves every young survivor to the old generation. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** A `rowsRequest` seed whose first row is the `i`th of `count` offsets spread evenly over `rows` rows. */
function spreadSeed(rows: number, i: number, count: number): number {
  return Math.floor((i * rows) / (count * ROWS_PER_SEED)) + 1;
}

function syntheticLatency(detectors: readonly Detector[], rowTexts: readonly string[]): LatencyResult[] {
  const plans: { size: keyof typeof LATENCY_TARGET_MS; total: number; warmup: number; runs: number }[] = [
    { size: '16KB', total: 16 * 1024, warmup: 50, runs: 400 },
    { size: '1MB', total: 1024 * 1024, warmup: 5, runs: 40 },
  ];
  // `1MB rows` is cut from the start of the file, its densest jailbreak text (the worst case); `1MB spread` from
  // offsets spread over the whole file, a typical megabyte of it.
  if (rowTexts.length > 0) {
    plans.push({ size: '1MB rows', total: 1024 * 1024, warmup: 3, runs: 20 });
    plans.push({ size: '1MB spread', total: 1024 * 1024, warmup: 3, runs: 20 });
  }
  return plans.map((plan) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    const intrinsic: number[] = [];
    let segments = 0;
    // A fresh request each run (nothing is cached across requests in production either), each kept as the JSON
    // body it would arrive as; all built before timing so the harness's own allocations do not land garbage
    // collection inside the measured scans. Each request is dropped once scanned, as a served request would be.
    const bodies: (string | undefined)[] = Array.from({ length: plan.warmup + plan.runs }, (_, i) =>
      JSON.stringify(
        plan.size === '1MB rows'
          ? rowsRequest(rowTexts, i + 1, plan.total)
          : plan.size === '1MB spread'
            ? rowsRequest(rowTexts, spreadSeed(rowTexts.length, i, plan.warmup + plan.runs), plan.total)
            : syntheticRequest(i + 1, plan.total),
      ),
    );
    // Megabytes of prepared requests would otherwise sit in the young generation, and every young collection the
    // scans trigger would copy them: pauses of the harness's making (7-8 ms each), not the scanner's. A served
    // process holds only the requests in flight.
    collectGarbage();
    for (let i = 0; i < bodies.length; i++) {
      // Parsed just before the scan (untimed), as a served request's body is: flat, young texts and segments, so
      // what the scan attaches to them dies young with them. (Requests built ahead and moved to the old generation
      // pinned everything their scan attached, and the builder's concatenated texts were flattened in place.)
      const input = JSON.parse(bodies[i] as string) as ScanInput;
      bodies[i] = undefined;
      segments = input.segments.length;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const d of detectors) d.scan(input);
      const dt = performance.now() - t0;
      const dc = process.cpuUsage(c0);
      // Two more scans of fresh copies (new segment objects, so no cached normalisation): the fastest of the three
      // is the request's own cost, without scheduler preemption or a garbage collection that happened to land in it.
      let best = dt;
      for (let r = 0; r < 2; r++) {
        const copy: ScanInput = { ...input, segments: input.segments.map((s) => ({ ...s })) };
        // Same texts: without this the copies would get the results kept from the first scan.
        forgetKeptScanResults();
        const t1 = performance.now();
        for (const d of detectors) d.scan(copy);
        best = Math.min(best, performance.now() - t1);
      }
      if (i >= plan.warmup) {
        wall.push(dt);
        cpu.push((dc.user + dc.system) / 1000);
        intrinsic.push(best);
      }
    }
    const w = distribution(wall);
    const c = distribution(cpu);
    const b = distribution(intrinsic);
    return {
      size: plan.size,
      chars: plan.total,
      segments,
      runs: plan.runs,
      p50ms: w.p50,
      p99ms: w.p99,
      cpuP50ms: c.p50,
      cpuP99ms: c.p99,
      bestOf3P50ms: b.p50,
      bestOf3P99ms: b.p99,
      targetMs: LATENCY_TARGET_MS[plan.size],
    };
  });
}

// ---- report ------------------------------------------------------------------------------------------------------

const pct = (x: number) => (Number.isNaN(x) ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);
const ms = (x: number) => (Number.isNaN(x) ? 'n/a' : x.toFixed(3));

function printFile(r: FileResult): void {
  const lines: string[] = [];
  lines.push(`\n${r.file}: ${r.attacks} attack rows, ${r.benign} benign rows${r.benignSource}`);
  lines.push(`  ${'detector'.padEnd(20)} ${'recall'.padStart(7)} ${'FPR'.padStart(7)}   p50 ms   p99 ms`);
  for (const d of r.detectors) {
    const name = `${d.detector}${d.primary ? ' *' : ''}`;
    lines.push(
      `  ${name.padEnd(20)} ${pct(d.recall)} ${pct(d.fpr)}   ${ms(d.p50ms).padStart(6)}   ${ms(d.p99ms).padStart(6)}`,
    );
  }
  const primary = r.detectors.find((d) => d.primary);
  if (primary !== undefined) {
    lines.push(`  ${primary.detector} recall by category:`);
    for (const [c, v] of Object.entries(primary.recallByCategory)) {
      lines.push(`    ${c.padEnd(44)} ${pct(v.detected / v.n)}  (${v.detected}/${v.n})`);
    }
    if (Object.keys(primary.fprByCategory).length > 0)
      lines.push(`  ${primary.detector} FPR by benign category:`);
    for (const [c, v] of Object.entries(primary.fprByCategory)) {
      lines.push(`    ${c.padEnd(44)} ${pct(v.flagged / v.n)}  (${v.flagged}/${v.n})`);
    }
    const target = TARGETS[primary.detector as DetectorId];
    if (target !== undefined && DEV_SPLIT_FILES.has(basename(r.file))) {
      const ok = primary.recall >= target.recall && !(primary.fpr > target.fpr);
      lines.push(
        `  target ${primary.detector}: recall >= ${pct(target.recall)}, FPR <= ${pct(target.fpr)}: ${ok ? 'PASS' : 'MISS'}`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printExamples(title: string, rows: Row[], n: number): void {
  if (n <= 0 || rows.length === 0) return;
  process.stdout.write(`  ${title} (${Math.min(n, rows.length)} of ${rows.length}):\n`);
  for (const r of rows.slice(0, n)) {
    const excerpt = r.text.replace(/\s+/g, ' ').slice(0, 160);
    process.stdout.write(`    ${r.id} [${r.category}] ${excerpt}\n`);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  rowsAsToolResults = args.asToolResult;
  const detectors = ALL_DETECTORS;
  const commit = gitCommit();
  const borrowedPath = join(DEFAULT_DIR, 'prompts.jsonl');
  const borrowed = existsSync(borrowedPath)
    ? readRows(borrowedPath).filter((r) => BENIGN_LABELS.has(r.label) && r.category === 'security-sounding')
    : [];
  // Warm the JIT on a few rows so the first file's timings are not compile times.
  if (borrowed.length > 0) evaluate(borrowed.slice(0, 50), detectors);

  if (!args.json) {
    process.stdout.write(
      `ClawShield eval @ ${commit}  (node ${process.version}; detectors: ${detectors.map((d) => d.id).join(', ')})\n`,
    );
    process.stdout.write(
      (args.asToolResult
        ? 'rows scanned as the text of one tool result'
        : 'rows scanned as one user `message` segment (indirect-injection rows: inside an email, newsletter or table\n' +
          'arriving as a tool result or a pasted document)') +
        '; detected = at least one finding of any severity\n',
    );
  }
  const files: FileResult[] = [];
  for (const file of args.files) {
    let rows = readRows(file);
    let benignSource = '';
    // Borrowed rows are users' requests: inside a tool result such a request is a planted task, not a benign text.
    if (!rows.some((r) => BENIGN_LABELS.has(r.label)) && borrowed.length > 0 && !args.asToolResult) {
      rows = rows.concat(borrowed);
      benignSource = ' (benign: security-sounding rows of prompts.jsonl)';
    }
    const { outcomes, times, allTimes } = evaluate(rows, detectors);
    const r = summarise(file, outcomes, times, allTimes, detectors, benignSource);
    files.push(r);
    if (!args.json) {
      printFile(r);
      process.stdout.write(
        `  all detectors per row: p50 ${ms(r.allDetectorsP50ms)} ms, p99 ${ms(r.allDetectorsP99ms)} ms\n`,
      );
      const primary = PRIMARY[basename(file)];
      if (primary !== undefined) {
        printExamples(
          `missed by ${primary}`,
          outcomes
            .filter((o) => ATTACK_LABELS.has(o.row.label) && o.hits.get(primary) !== true)
            .map((o) => o.row),
          args.misses,
        );
        printExamples(
          `false positives of ${primary}`,
          outcomes
            .filter((o) => BENIGN_LABELS.has(o.row.label) && o.hits.get(primary) === true)
            .map((o) => o.row),
          args.fps,
        );
      }
    }
  }
  const rowTexts = existsSync(borrowedPath) ? readRows(borrowedPath).map((r) => r.text) : [];
  const latency = args.synthetic ? syntheticLatency(detectors, rowTexts) : [];
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ commit, node: process.version, files, latency }, null, 2)}\n`);
    return;
  }
  if (latency.length > 0) {
    process.stdout.write(
      '\nfull scanner (all detectors) on synthetic requests (and on 1 MB of prompts.jsonl texts: `1MB rows` from the\n' +
        "file's densest start, `1MB spread` from offsets over the whole file): wall\n" +
        'clock of the first scan, process CPU time of it (includes GC helper threads), and the fastest of three scans\n' +
        'of the request (its own cost, no noise):\n',
    );
    for (const l of latency) {
      const ok = (x: number) => (x <= l.targetMs ? 'PASS' : 'MISS');
      process.stdout.write(
        `  ${l.size.padEnd(8)} ${l.segments} segments, ${l.runs} runs (target p99 <= ${l.targetMs} ms)\n` +
          `        wall      p50 ${ms(l.p50ms)} ms  p99 ${ms(l.p99ms)} ms  ${ok(l.p99ms)}\n` +
          `        cpu       p50 ${ms(l.cpuP50ms)} ms  p99 ${ms(l.cpuP99ms)} ms  ${ok(l.cpuP99ms)}\n` +
          `        best of 3 p50 ${ms(l.bestOf3P50ms)} ms  p99 ${ms(l.bestOf3P99ms)} ms  ${ok(l.bestOf3P99ms)}\n`,
      );
    }
  }
}

main();
