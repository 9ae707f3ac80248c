// `npx tsx bench/real-text-findings.ts FILE.jsonl… [--examples N] [--top N] [--kinds message,tool_result]`
// (`npm run eval:real-text` builds the corpora and runs this on each.)
// Every finding the request detectors make on unlabelled real text (bench/real-text-corpora.py builds it from what a
// coding agent reads: documentation, JavaScript, Python, shell), each row scanned alone as a user message and as a
// tool result. Counts by detector, rule, severity and segment kind, most frequent first, each with a few excerpts
// (80 characters either side of the finding) to read: on this text every finding is a candidate false positive, and
// a critical one in a tool result is a request the default policy would block.
import { readFileSync } from 'node:fs';
import { ALL_DETECTORS } from '../extproc/src/security/registry.js';
import { forgetKeptScanResults } from '../extproc/src/security/segment-memo.js';
import type { ScanSegment, SegmentKind } from '../extproc/src/security/types.js';

interface Args {
  files: string[];
  examples: number;
  top: number;
  kinds: SegmentKind[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { files: [], examples: 2, top: 40, kinds: ['message', 'tool_result'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--examples') args.examples = Number(argv[++i]);
    else if (a === '--top') args.top = Number(argv[++i]);
    else if (a === '--kinds') args.kinds = (argv[++i] ?? '').split(',') as SegmentKind[];
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else args.files.push(a);
  }
  if (args.files.length === 0)
    throw new Error('usage: tsx bench/real-text-findings.ts FILE.jsonl… [--examples N] [--top N]');
  return args;
}

function report(file: string, args: Args): void {
  const texts = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text);
  const counts = new Map<string, { count: number; examples: string[] }>();
  let scanned = 0;
  for (const text of texts) {
    for (const kind of args.kinds) {
      const segment: ScanSegment = {
        kind,
        messageIndex: 0,
        role: kind === 'message' ? 'user' : 'tool',
        partIndex: 0,
        text,
      };
      for (const detector of ALL_DETECTORS) {
        for (const f of detector.scan({ segments: [segment], toolNames: [] })) {
          const key = `${f.detector}/${f.rule}/${f.severity}/${kind}`;
          const entry = counts.get(key) ?? { count: 0, examples: [] };
          entry.count++;
          if (entry.examples.length < args.examples) {
            const { start, end } = f.location;
            entry.examples.push(text.slice(Math.max(0, start - 80), end + 80).replace(/\s+/g, ' '));
          }
          counts.set(key, entry);
        }
      }
      // The kept-results memo would otherwise hold every row scanned.
      if (++scanned % 2000 === 0) forgetKeptScanResults();
    }
  }
  process.stdout.write(`\n${file}: ${texts.length} rows, ${scanned} segments scanned\n`);
  const sorted = [...counts].sort((a, b) => b[1].count - a[1].count).slice(0, args.top);
  for (const [key, { count, examples }] of sorted) {
    process.stdout.write(`${String(count).padStart(7)}  ${key}\n`);
    for (const example of examples) process.stdout.write(`           | ${example.slice(0, 300)}\n`);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  for (const file of args.files) report(file, args);
}

main();
