// Masking findings in the body that is forwarded: each redactable span is replaced in the exact string field that
// produced its segment. A span that cannot be put back (the field is gone, its text differs from what was scanned,
// or masking would break JSON the provider parses) is reported as unmasked, and the stage blocks instead: a secret
// the policy says to remove must never be forwarded because the gateway could not find it.
import type { ParsedRequest } from '../providers/types.js';
import { type BodySlots, bodySlots, type TextSlot } from './body-slots.js';
import type { Finding, ScanInput, ScanSegment } from './types.js';

export interface MaskSpan {
  start: number;
  end: number;
  rule: string;
}

/** The text standing in for a masked span: names what was there, never any of it. */
export function placeholder(rule: string): string {
  return `[REDACTED:${rule}]`;
}

/** `text` with every span replaced by its placeholder; overlapping spans merge (the first one's rule names it). */
export function maskSpans(text: string, spans: readonly MaskSpan[]): string {
  const sorted = [...spans]
    .filter((s) => s.end > s.start && s.start >= 0 && s.end <= text.length)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: MaskSpan[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  let out = '';
  let at = 0;
  for (const span of merged) {
    out += text.slice(at, span.start) + placeholder(span.rule);
    at = span.end;
  }
  return out + text.slice(at);
}

function slotFor(slots: BodySlots, finding: Finding): TextSlot | null | undefined {
  const { kind, messageIndex, partIndex } = finding.location;
  if (kind === 'tool_definition') return slots.toolDescriptions[partIndex];
  if (messageIndex >= 0) {
    const message = slots.messages[messageIndex];
    return kind === 'tool_call_arguments' ? message?.calls[partIndex] : message?.texts[partIndex];
  }
  if (kind === 'system') return slots.system[partIndex];
  return null;
}

function segmentFor(input: ScanInput, finding: Finding): ScanSegment | undefined {
  const { kind, messageIndex, partIndex } = finding.location;
  return input.segments.find(
    (s) => s.kind === kind && s.messageIndex === messageIndex && s.partIndex === partIndex,
  );
}

export interface RedactionResult {
  masked: Finding[];
  unmasked: Finding[];
}

/**
 * Masks `findings` in `request.body` in place. Only fields whose text is exactly what was scanned are touched, so
 * a span always lands on the characters the detector matched.
 */
export function redactRequestBody(
  request: ParsedRequest,
  input: ScanInput,
  findings: Finding[],
): RedactionResult {
  const result: RedactionResult = { masked: [], unmasked: [] };
  if (findings.length === 0) return result;
  const slots = bodySlots(request);
  if (!slots) {
    result.unmasked.push(...findings);
    return result;
  }
  const bySlot = new Map<TextSlot, Array<{ finding: Finding; span: MaskSpan }>>();
  for (const finding of findings) {
    const slot = slotFor(slots, finding);
    const segment = segmentFor(input, finding);
    const offset = slot && segment && finding.redactable ? offsetIn(segment, slot.read()) : null;
    const start = finding.location.start - (offset ?? 0);
    const end = finding.location.end - (offset ?? 0);
    if (!slot || offset === null || start < 0 || end > slot.read().length) {
      result.unmasked.push(finding);
      continue;
    }
    const list = bySlot.get(slot) ?? [];
    list.push({ finding, span: { start, end, rule: finding.rule } });
    bySlot.set(slot, list);
  }
  for (const [slot, list] of bySlot) {
    const found = list.map((entry) => entry.finding);
    if (
      slot.write(
        maskSpans(
          slot.read(),
          list.map((entry) => entry.span),
        ),
      )
    )
      result.masked.push(...found);
    else result.unmasked.push(...found);
  }
  return result;
}

/**
 * Where the slot's text sits in the scanned segment: 0 when the segment is that text, or, for a tool definition
 * (scanned as name, description and schema on their own lines), the description's offset. null: not there.
 */
function offsetIn(segment: ScanSegment, text: string): number | null {
  if (segment.text === text) return 0;
  if (segment.kind !== 'tool_definition' || segment.toolName === undefined) return null;
  const offset = segment.toolName.length + 1;
  return segment.text.startsWith(`${segment.toolName}\n${text}\n`) ? offset : null;
}
