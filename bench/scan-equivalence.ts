// `npx tsx bench/scan-equivalence.ts OTHER_CHECKOUT [--inputs FILE.jsonl] [--show N]`
// Whether a change to the scanner changed any finding: this checkout's request detectors and another checkout's
// (say a worktree at main: `git worktree add --detach /tmp/base main`) scan the same inputs, and their findings are
// compared as JSON, every field included. For performance work, where the answer must be "none". Inputs:
// - every row of the eval JSONL files (../shared/eval) as a user message (indirect-injection rows inside their
//   carrier, as eval-security scans them), a tool result, the `command` of tool-call arguments and a system prompt;
// - the rows joined into long texts (hits crowding one another, long texts taking the scanner's long-text paths);
// - synthetic 16 KB and 1 MB requests (bench/security-synthetic.ts);
// - with --inputs, ScanInputs one per line (for instance recorded from the security tests' detector calls).
// Each input is scanned by each detector alone and by all of them in turn on one input (shared normalisation), with
// the kept results of both checkouts forgotten first. Both checkouts load from their TypeScript sources under tsx,
// each with its own module instances. Exit status 1 when anything differs.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToolAbuseDetector } from '../extproc/src/security/detectors/tool-abuse.js';
import { ALL_DETECTORS } from '../extproc/src/security/registry.js';
import { forgetKeptScanResults } from '../extproc/src/security/segment-memo.js';
import type { Detector, ScanInput, ScanSegment, SegmentKind } from '../extproc/src/security/types.js';
import { indirectRequest, isIndirectRow } from './indirect-carriers.js';
import { syntheticRequest } from './security-synthetic.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EVAL_DIR = resolve(REPO, '../shared/eval');
/** A policy with every list in use, so tool abuse's own checks run too. */
const POLICY = {
  allowedTools: ['shell', 'read_file', 'search'],
  deniedTools: ['rm_*', 'exec'],
  deniedArgumentPatterns: ['curl\\s+[^|]*\\|\\s*sh', '/etc/shadow'],
};
const JOINED_ROWS = 800;

interface Scanner {
  detectors: readonly Detector[];
  forget: () => void;
}

async function otherScanner(root: string): Promise<Scanner> {
  const security = join(root, 'extproc/src/security');
  const registry = await import(join(security, 'registry.ts'));
  const memo = await import(join(security, 'segment-memo.ts'));
  const toolAbuse = await import(join(security, 'detectors/tool-abuse.ts'));
  return {
    detectors: [...registry.ALL_DETECTORS, toolAbuse.createToolAbuseDetector(POLICY)],
    forget: memo.forgetKeptScanResults,
  };
}

function segment(kind: SegmentKind, role: string, text: string, toolName?: string): ScanSegment {
  const messageIndex = kind === 'system' ? -1 : 0;
  return { kind, messageIndex, role, partIndex: 0, text, ...(toolName === undefined ? {} : { toolName }) };
}

const single = (s: ScanSegment, toolNames: string[] = []): ScanInput => ({ segments: [s], toolNames });

function inputs(extraFile: string | undefined): { name: string; input: ScanInput }[] {
  const out: { name: string; input: ScanInput }[] = [];
  const texts: string[] = [];
  for (const file of readdirSync(EVAL_DIR).filter((f) => f.endsWith('.jsonl'))) {
    const lines = readFileSync(join(EVAL_DIR, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const row = JSON.parse(line) as { text?: unknown; category?: unknown };
      const text = String(row.text ?? '');
      texts.push(text);
      const user = isIndirectRow(String(row.category ?? ''))
        ? indirectRequest(text, i)
        : single(segment('message', 'user', text));
      out.push({ name: `${file}#${i} user`, input: user });
      out.push({
        name: `${file}#${i} tool result`,
        input: single(segment('tool_result', 'tool', text), ['shell']),
      });
      const args = segment('tool_call_arguments', 'assistant', JSON.stringify({ command: text }), 'shell');
      out.push({ name: `${file}#${i} arguments`, input: single(args, ['shell']) });
      out.push({ name: `${file}#${i} system`, input: single(segment('system', 'system', text)) });
    });
  }
  for (const [label, separator] of [
    ['lines', '\n'],
    ['spaces', ' '],
    ['nothing', ''],
  ] as const) {
    for (let from = 0; from < texts.length; from += JOINED_ROWS) {
      const text = texts.slice(from, from + JOINED_ROWS).join(separator);
      out.push({ name: `rows ${from}+ joined by ${label}`, input: single(segment('message', 'user', text)) });
      const args = segment('tool_call_arguments', 'assistant', JSON.stringify({ text }), 'shell');
      out.push({ name: `rows ${from}+ joined by ${label}, as arguments`, input: single(args, ['shell']) });
    }
  }
  for (let i = 0; i < 30; i++)
    out.push({ name: `synthetic 16 KB #${i}`, input: syntheticRequest(i + 1, 16 * 1024) });
  for (let i = 0; i < 3; i++)
    out.push({ name: `synthetic 1 MB #${i}`, input: syntheticRequest(i + 7, 1 << 20) });
  if (extraFile !== undefined) {
    readFileSync(extraFile, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.trim() !== '') out.push({ name: `${extraFile}#${i}`, input: JSON.parse(line) as ScanInput });
      });
  }
  return out;
}

/** Fresh segment objects: nothing one checkout worked out about a segment is seen by the other. */
const copyOf = (input: ScanInput): ScanInput => ({
  ...input,
  segments: input.segments.map((s) => ({ ...s })),
});

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const other = args.find(
    (a, i) => !a.startsWith('--') && !['--inputs', '--show'].includes(args[i - 1] ?? ''),
  );
  if (other === undefined) {
    process.stderr.write(
      'usage: tsx bench/scan-equivalence.ts OTHER_CHECKOUT [--inputs FILE.jsonl] [--show N]\n',
    );
    process.exit(2);
  }
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const show = Number(option('--show') ?? 10);
  const theirs = await otherScanner(resolve(other));
  const ours: Scanner = {
    detectors: [...ALL_DETECTORS, createToolAbuseDetector(POLICY)],
    forget: forgetKeptScanResults,
  };
  let differences = 0;
  let findings = 0;
  const all = inputs(option('--inputs'));
  const report = (name: string, a: string, b: string): void => {
    differences++;
    if (differences <= show)
      process.stdout.write(`DIFF ${name}\n  other ${a.slice(0, 600)}\n  this  ${b.slice(0, 600)}\n`);
  };
  for (const { name, input } of all) {
    for (let d = 0; d < ours.detectors.length; d++) {
      const mine = ours.detectors[d] as Detector;
      const other = theirs.detectors[d] as Detector;
      theirs.forget();
      ours.forget();
      const a = other.scan(copyOf(input));
      const b = mine.scan(copyOf(input));
      findings += b.length;
      const [ja, jb] = [JSON.stringify(a), JSON.stringify(b)];
      if (ja !== jb) report(`${name}: ${mine.id}`, ja, jb);
    }
    theirs.forget();
    ours.forget();
    const [ca, cb] = [copyOf(input), copyOf(input)];
    const ja = JSON.stringify(theirs.detectors.map((d) => d.scan(ca)));
    const jb = JSON.stringify(ours.detectors.map((d) => d.scan(cb)));
    if (ja !== jb) report(`${name}: all detectors on one input`, ja, jb);
  }
  process.stdout.write(`${all.length} inputs, ${findings} findings, ${differences} differences\n`);
  process.exit(differences === 0 ? 0 : 1);
}

await main();
