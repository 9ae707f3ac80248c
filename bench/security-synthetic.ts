// Synthetic requests for the scanner latency measurement: ordinary-looking prose, tool-call arguments and JSON tool
// results spread over many segments, generated from a seed so every run gets fresh strings (nothing the scanner
// could cache between requests) while staying reproducible.
import type { ScanInput, ScanSegment } from '../extproc/src/security/types.js';

const WORDS = (
  'the quarterly report shows revenue growth across regions while operating costs stayed flat we should review ' +
  'the onboarding flow before release please summarise the customer feedback and list open questions for the ' +
  'design team our deployment pipeline runs unit tests integration tests and a canary stage before production ' +
  'the invoice totals were reconciled against the ledger and two discrepancies need a follow up with finance ' +
  'could you draft a friendly reply thanking them for the meeting and proposing next tuesday at ten'
).split(' ');

function prose(seed: number, chars: number): string {
  let out = '';
  let i = seed;
  while (out.length < chars) {
    i = (i * 1103515245 + 12345) & 0x7fffffff;
    out += WORDS[i % WORDS.length];
    out += i % 17 === 0 ? '.\n' : i % 11 === 0 ? ', ' : ' ';
  }
  return out.slice(0, chars);
}

function toolArgs(seed: number, chars: number): string {
  const cmds = [
    'git status --short',
    'npm test -- --run',
    'ls -la src/components',
    'cat package.json',
    'grep -rn TODO src',
  ];
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const p = JSON.stringify({
      command: cmds[(seed + i) % cmds.length],
      cwd: `/srv/app-${seed}`,
      timeout: 30 + i,
    });
    parts.push(p);
    size += p.length;
  }
  return `[${parts.join(',')}]`.slice(0, chars);
}

function toolResult(seed: number, chars: number): string {
  const rows: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const r = `{"id":${seed * 1000 + i},"name":"item-${i}","status":"ok","updated":"2024-0${(i % 9) + 1}-1${i % 10}","note":"${prose(seed + i, 60)}"}`;
    rows.push(r);
    size += r.length + 1;
  }
  return `{"results":[${rows.join(',')}]}`.slice(0, chars);
}

/** A request of roughly `total` characters split over many segments of every kind. */
export function syntheticRequest(seed: number, total: number): ScanInput {
  const segments: ScanSegment[] = [];
  const per = Math.max(512, Math.floor(total / 48));
  segments.push({ kind: 'system', messageIndex: -1, role: 'system', partIndex: 0, text: prose(seed, per) });
  let size = per;
  for (let m = 0; size < total; m++) {
    const kind = m % 4;
    const text =
      kind === 2
        ? toolArgs(seed + m, per)
        : kind === 3
          ? toolResult(seed + m, per)
          : prose(seed * 31 + m, per);
    segments.push({
      kind: kind === 2 ? 'tool_call_arguments' : kind === 3 ? 'tool_result' : 'message',
      messageIndex: m,
      role: kind === 0 ? 'user' : kind === 3 ? 'tool' : 'assistant',
      partIndex: 0,
      text,
    });
    size += text.length;
  }
  return { segments, toolNames: ['shell', 'read_file', 'search'] };
}

/** How many rows each `rowsRequest` seed moves the first row on. */
export const ROWS_PER_SEED = 37;

/**
 * A request of a labelled file's own texts: the synthetic requests' small vocabulary meets few trigger words, where
 * real prose and code meet many (the scan costs several times more per megabyte). Rows from a rotating offset, cut
 * into segments at other places each time, so no segment text repeats between requests; alternately a message and
 * a tool result.
 */
export function rowsRequest(texts: readonly string[], seed: number, total: number): ScanInput {
  const perSegment = Math.floor(total / 48);
  let joined = '';
  for (let i = seed * ROWS_PER_SEED; joined.length < total + seed; i++)
    joined += `${texts[i % texts.length]}\n\n`;
  joined = joined.slice(seed, seed + total);
  const segments: ScanSegment[] = [];
  for (let at = 0, m = 0; at < joined.length; at += perSegment, m++) {
    const tool = m % 2 === 1;
    segments.push({
      kind: tool ? 'tool_result' : 'message',
      messageIndex: m,
      role: tool ? 'tool' : 'user',
      partIndex: 0,
      text: joined.slice(at, at + perSegment),
    });
  }
  return { segments, toolNames: [] };
}
