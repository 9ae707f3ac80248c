// Model output scanning: secrets and exfiltration in what the provider answers, before the client gets it.
// A JSON answer is seen whole (Envoy buffers it) and can be masked or withheld. An event stream is scanned as it
// passes, channel by channel (each choice's content, each tool call's arguments, each Anthropic content block),
// with the last CARRY_CHARS of every channel scanned again with the next text, so a secret split across events or
// chunks is still recognised. Bytes already sent cannot be recalled: a stream is cut, not masked.
import type { SseEvent } from '../providers/sse.js';
import type { ProviderId } from '../providers/types.js';
import { field, jsonTextField, objectAsJson, type TextSlot } from './body-slots.js';
import { type DecidedFinding, decide, strongest } from './decision.js';
import type { ActionTable } from './policy.js';
import { maskSpans } from './redaction.js';
import type { Detector, Finding, ScanSegment } from './types.js';

/** Text of each channel kept from one scan to the next; longer than any credential format the detectors know. */
export const CARRY_CHARS = 512;
/** Distinct findings remembered per stream, so one secret repeated forever cannot grow memory without bound. */
const MAX_REMEMBERED = 1024;

export interface ResponseScanSettings {
  provider: ProviderId;
  /** The detectors that apply to model output (secrets, exfiltration). */
  detectors: readonly Detector[];
  actions: ActionTable;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function segment(partIndex: number, text: string): ScanSegment {
  return { kind: 'response', messageIndex: -1, role: 'assistant', partIndex, text };
}

function runDetectors(detectors: readonly Detector[], segments: ScanSegment[]): Finding[] {
  const input = { segments, toolNames: [] };
  const findings: Finding[] = [];
  for (const detector of detectors) findings.push(...detector.scan(input));
  return findings;
}

/** The string fields of a complete answer that carry model output, in a fixed order. */
function responseSlots(provider: ProviderId, body: Record<string, unknown>): TextSlot[] {
  const slots: TextSlot[] = [];
  if (provider === 'openai') {
    for (const choice of Array.isArray(body.choices) ? body.choices : []) {
      const message = isRecord(choice) ? choice.message : undefined;
      if (!isRecord(message)) continue;
      if (typeof message.content === 'string') slots.push(field(message, 'content'));
      if (typeof message.refusal === 'string') slots.push(field(message, 'refusal'));
      for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
        if (isRecord(call) && isRecord(call.function) && typeof call.function.arguments === 'string') {
          slots.push(jsonTextField(call.function, 'arguments'));
        }
      }
      if (isRecord(message.function_call) && typeof message.function_call.arguments === 'string') {
        slots.push(jsonTextField(message.function_call, 'arguments'));
      }
    }
  } else {
    for (const block of Array.isArray(body.content) ? body.content : []) {
      if (!isRecord(block)) continue;
      if (block.type === 'text' && typeof block.text === 'string') slots.push(field(block, 'text'));
      else if (block.type === 'tool_use' && isRecord(block.input)) slots.push(objectAsJson(block, 'input'));
    }
  }
  return slots;
}

export interface JsonScanResult {
  decided: DecidedFinding[];
  /** block: withhold the answer; redact: send `body`; flag / null: send the answer unchanged. */
  action: 'block' | 'redact' | 'flag' | null;
  /** The masked answer when action is redact. */
  body: Buffer | null;
}

/**
 * Scans a complete JSON answer. A finding to redact that cannot be masked (not redactable, or masking would break
 * the arguments' JSON) turns the result into a block.
 */
export function scanJsonResponse(settings: ResponseScanSettings, body: unknown): JsonScanResult {
  if (!isRecord(body)) return { decided: [], action: null, body: null };
  const slots = responseSlots(settings.provider, body);
  const texts = slots.map((slot) => slot.read());
  const decided = decide(
    runDetectors(
      settings.detectors,
      texts.map((text, i) => segment(i, text)),
    ),
    settings.actions,
  );
  let action = strongest(decided);
  if (action !== 'redact') return { decided, action, body: null };

  const bySlot = new Map<number, DecidedFinding[]>();
  for (const entry of decided) {
    if (entry.action !== 'redact') continue;
    if (!entry.finding.redactable) action = 'block';
    const list = bySlot.get(entry.finding.location.partIndex) ?? [];
    list.push(entry);
    bySlot.set(entry.finding.location.partIndex, list);
  }
  for (const [index, list] of bySlot) {
    const slot = slots[index];
    const spans = list.map(({ finding }) => ({
      start: finding.location.start,
      end: finding.location.end,
      rule: finding.rule,
    }));
    if (!slot?.write(maskSpans(texts[index] as string, spans))) action = 'block';
  }
  if (action === 'block') {
    for (const entry of decided) if (entry.action === 'redact') entry.action = 'block';
    return { decided, action, body: null };
  }
  return { decided, action, body: Buffer.from(JSON.stringify(body), 'utf8') };
}

/** Where a delta's text belongs: one running text per choice / tool call / content block. */
type Delta = [channel: string, text: string];

function openaiDeltas(data: string, out: Delta[]): void {
  // Usage and role-only chunks carry no text; skipping their JSON parse keeps the common path cheap.
  if (!data.includes('"delta"')) return;
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return;
  }
  if (!isRecord(chunk) || !Array.isArray(chunk.choices)) return;
  for (const choice of chunk.choices) {
    if (!isRecord(choice) || !isRecord(choice.delta)) continue;
    const index = typeof choice.index === 'number' ? choice.index : 0;
    const delta = choice.delta;
    if (typeof delta.content === 'string' && delta.content) out.push([`c${index}`, delta.content]);
    if (typeof delta.refusal === 'string' && delta.refusal) out.push([`r${index}`, delta.refusal]);
    for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
      if (!isRecord(call) || !isRecord(call.function)) continue;
      const args = call.function.arguments;
      if (typeof args === 'string' && args) out.push([`t${index}.${String(call.index ?? 0)}`, args]);
    }
  }
}

function anthropicDeltas(event: SseEvent & { data: string }, out: Delta[]): void {
  if (event.event !== 'content_block_delta' && !event.data.includes('"content_block_delta"')) return;
  let payload: unknown;
  try {
    payload = JSON.parse(event.data);
  } catch {
    return;
  }
  if (!isRecord(payload) || !isRecord(payload.delta)) return;
  const channel = `b${String(payload.index ?? 0)}`;
  const delta = payload.delta;
  if (delta.type === 'text_delta' && typeof delta.text === 'string') out.push([channel, delta.text]);
  else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
    out.push([channel, delta.partial_json]);
  }
}

interface Channel {
  ordinal: number;
  /** Text kept from earlier events (at most CARRY_CHARS). */
  carry: string;
  /** Offset of `carry` in the channel's whole text. */
  carryStart: number;
}

export interface StreamScanResult {
  /** Findings new in this push, located at their offset in the channel's whole text. */
  decided: DecidedFinding[];
}

/**
 * Incremental scanning of an SSE answer. `push` returns the findings that the text completed so far reveals; the
 * caller decides what to do with the stream. Each finding is reported once, however many scans see it.
 */
export class StreamTextScanner {
  private readonly channels = new Map<string, Channel>();
  private readonly seen = new Set<string>();

  constructor(private readonly settings: ResponseScanSettings) {}

  /** What the text of `events` reveals, given everything scanned before. */
  scan(events: readonly SseEvent[]): StreamScanResult {
    const deltas: Delta[] = [];
    for (const event of events) {
      if (event.data === null) continue;
      if (this.settings.provider === 'openai') openaiDeltas(event.data, deltas);
      else anthropicDeltas(event as SseEvent & { data: string }, deltas);
    }
    if (deltas.length === 0) return { decided: [] };
    const fresh = new Map<string, string>();
    for (const [channel, text] of deltas) fresh.set(channel, (fresh.get(channel) ?? '') + text);

    const findings: Finding[] = [];
    for (const [name, text] of fresh) {
      let channel = this.channels.get(name);
      if (!channel) {
        channel = { ordinal: this.channels.size, carry: '', carryStart: 0 };
        this.channels.set(name, channel);
      }
      const window = channel.carry + text;
      for (const found of runDetectors(this.settings.detectors, [segment(channel.ordinal, window)])) {
        const start = channel.carryStart + found.location.start;
        const key = `${name}\0${found.detector}\0${found.rule}\0${start}`;
        if (this.seen.has(key)) continue;
        if (this.seen.size < MAX_REMEMBERED) this.seen.add(key);
        findings.push({
          ...found,
          location: { ...found.location, start, end: channel.carryStart + found.location.end },
        });
      }
      const keep = Math.min(window.length, CARRY_CHARS);
      channel.carryStart += window.length - keep;
      channel.carry = window.slice(window.length - keep);
    }
    return { decided: decide(findings, this.settings.actions) };
  }
}

/** The event that ends a stream the gateway cut, in the stream's own format, so SDKs raise it as an API error. */
export function streamErrorEvent(provider: ProviderId, errorBody: string): Buffer {
  return Buffer.from(
    provider === 'openai' ? `data: ${errorBody}\n\n` : `event: error\ndata: ${errorBody}\n\n`,
    'utf8',
  );
}
