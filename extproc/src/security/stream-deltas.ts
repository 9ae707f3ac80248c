// The text each stream event adds to the answer, per channel (a choice's content or refusal, a tool call's
// arguments, an Anthropic content block). Read with JsonCursor, which takes the few strings needed without building
// the event's objects; an event it cannot follow is read again with JSON.parse (parsedOpenaiDeltas and
// parsedAnthropicDeltas below, which also define what the fast readers must return).
import type { SseEvent } from '../providers/sse.js';
import { JsonCursor } from './json-cursor.js';

/** Where a delta's text belongs: one running text per choice / tool call / content block. */
export type Delta = [channel: string, text: string];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value that JSON.parse-based reading would turn into a label other than a number's (a string, true, …). */
class UnusualIndex extends Error {}

export function openaiDeltas(data: string, out: Delta[]): void {
  // Usage and role-only chunks carry no text; skipping them keeps the common path cheap.
  if (!data.includes('"delta"')) return;
  const mark = out.length;
  try {
    readOpenaiChunk(new JsonCursor(data), out, mark);
  } catch {
    out.length = mark;
    parsedOpenaiDeltas(data, out);
  }
}

function readOpenaiChunk(json: JsonCursor, out: Delta[], mark: number): void {
  if (!json.enterObject()) return;
  for (let key = json.nextKey(); key !== null; key = json.nextKey()) {
    if (key !== 'choices') {
      json.skip();
      continue;
    }
    // A repeated member counts once, as JSON.parse keeps the last.
    out.length = mark;
    if (!json.enterArray()) continue;
    while (json.nextElement()) readOpenaiChoice(json, out);
  }
  json.end();
}

function readOpenaiChoice(json: JsonCursor, out: Delta[]): void {
  if (!json.enterObject()) return;
  let index = 0;
  let content: string | undefined;
  let refusal: string | undefined;
  let toolCalls: Array<[index: string, args: string]> | undefined;
  for (let key = json.nextKey(); key !== null; key = json.nextKey()) {
    if (key === 'index') {
      index = json.numberOrSkip() ?? 0;
    } else if (key === 'delta') {
      content = undefined;
      refusal = undefined;
      toolCalls = undefined;
      if (!json.enterObject()) continue;
      for (let field = json.nextKey(); field !== null; field = json.nextKey()) {
        if (field === 'content') content = json.stringOrSkip();
        else if (field === 'refusal') refusal = json.stringOrSkip();
        else if (field === 'tool_calls') toolCalls = readToolCalls(json);
        else json.skip();
      }
    } else {
      json.skip();
    }
  }
  if (content) out.push([`c${index}`, content]);
  if (refusal) out.push([`r${index}`, refusal]);
  for (const [call, args] of toolCalls ?? []) out.push([`t${index}.${call}`, args]);
}

function readToolCalls(json: JsonCursor): Array<[string, string]> | undefined {
  if (!json.enterArray()) return undefined;
  const calls: Array<[string, string]> = [];
  while (json.nextElement()) {
    if (!json.enterObject()) continue;
    let callIndex = '0';
    let args: string | undefined;
    let hasFunction = false;
    for (let key = json.nextKey(); key !== null; key = json.nextKey()) {
      if (key === 'index') {
        callIndex = indexLabel(json);
      } else if (key === 'function') {
        args = undefined;
        hasFunction = json.enterObject();
        if (!hasFunction) continue;
        for (let field = json.nextKey(); field !== null; field = json.nextKey()) {
          if (field === 'arguments') args = json.stringOrSkip();
          else json.skip();
        }
      } else {
        json.skip();
      }
    }
    if (hasFunction && args) calls.push([callIndex, args]);
  }
  return calls;
}

/** `String(value ?? 0)` for a number or null; other kinds go to the JSON.parse reader. */
function indexLabel(json: JsonCursor): string {
  const kind = json.kind();
  if (kind === 'number') return String(json.numberOrSkip());
  if (kind !== 'null') throw new UnusualIndex();
  json.skip();
  return '0';
}

export function anthropicDeltas(event: SseEvent & { data: string }, out: Delta[]): void {
  if (event.event !== 'content_block_delta' && !event.data.includes('"content_block_delta"')) return;
  const mark = out.length;
  try {
    readAnthropicEvent(new JsonCursor(event.data), out);
  } catch {
    out.length = mark;
    parsedAnthropicDeltas(event.data, out);
  }
}

function readAnthropicEvent(json: JsonCursor, out: Delta[]): void {
  if (!json.enterObject()) return;
  let index = '0';
  let hasDelta = false;
  let type: string | undefined;
  let text: string | undefined;
  let partialJson: string | undefined;
  for (let key = json.nextKey(); key !== null; key = json.nextKey()) {
    if (key === 'index') {
      index = indexLabel(json);
    } else if (key === 'delta') {
      type = undefined;
      text = undefined;
      partialJson = undefined;
      hasDelta = json.enterObject();
      if (!hasDelta) continue;
      for (let field = json.nextKey(); field !== null; field = json.nextKey()) {
        if (field === 'type') type = json.stringOrSkip();
        else if (field === 'text') text = json.stringOrSkip();
        else if (field === 'partial_json') partialJson = json.stringOrSkip();
        else json.skip();
      }
    } else {
      json.skip();
    }
  }
  json.end();
  if (!hasDelta) return;
  const channel = `b${index}`;
  if (type === 'text_delta' && text !== undefined) out.push([channel, text]);
  else if (type === 'input_json_delta' && partialJson !== undefined) out.push([channel, partialJson]);
}

/** The reference reading of an OpenAI chunk: parse it whole. */
export function parsedOpenaiDeltas(data: string, out: Delta[]): void {
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

/** The reference reading of an Anthropic event: parse it whole. */
export function parsedAnthropicDeltas(data: string, out: Delta[]): void {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
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
