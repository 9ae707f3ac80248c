// The way back from a ParsedRequest's flattened view to the JSON body it came from. Detectors see messages as the
// provider parsers flatten them (Anthropic tool_result blocks become `tool` messages of their own); to mask a span
// the stage needs the exact string field that produced it. This walks each body in the parser's own order and keeps
// a handle on every string field, so message i / text j here is message i / text j of the ParsedRequest.
import type { ParsedRequest } from '../providers/types.js';

type Json = Record<string, unknown>;

/** A string field of the body that can be read and rewritten in place. */
export interface TextSlot {
  read(): string;
  /** Returns false when the new text cannot be stored (e.g. no longer valid JSON where JSON is required). */
  write(text: string): boolean;
  /** The text is JSON (tool-call arguments): a masked version must still parse. */
  readonly json: boolean;
}

export interface MessageSlots {
  /** One per ChatMessage.texts entry; null where rewriting would be refused upstream (signed thinking). */
  texts: Array<TextSlot | null>;
  /** One per ChatMessage.toolCalls entry: the arguments. */
  calls: TextSlot[];
}

export interface BodySlots {
  messages: MessageSlots[];
  /** One per ParsedRequest.system entry (Anthropic `system`). */
  system: TextSlot[];
  /** One per ParsedRequest.tools entry: its description, when it has one. */
  toolDescriptions: Array<TextSlot | null>;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function field(holder: Json | unknown[], key: string | number): TextSlot {
  const h = holder as Record<string | number, unknown>;
  return {
    json: false,
    read: () => h[key] as string,
    write(text) {
      h[key] = text;
      return true;
    },
  };
}

/** A JSON-text string field (OpenAI tool-call arguments): kept parseable if it was. */
export function jsonTextField(holder: Json, key: string): TextSlot {
  return {
    json: true,
    read: () => holder[key] as string,
    write(text) {
      if (parses(holder[key] as string) && !parses(text)) return false;
      holder[key] = text;
      return true;
    },
  };
}

/** An object field seen as its JSON text (Anthropic tool_use input): written back by parsing the masked text. */
export function objectAsJson(holder: Json, key: string): TextSlot {
  return {
    json: true,
    read: () => JSON.stringify(holder[key]),
    write(text) {
      try {
        const value: unknown = JSON.parse(text);
        if (!isRecord(value)) return false;
        holder[key] = value;
        return true;
      } catch {
        return false;
      }
    },
  };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function openaiMessage(raw: unknown): MessageSlots {
  const slots: MessageSlots = { texts: [], calls: [] };
  if (!isRecord(raw)) return slots;
  const content = raw.content;
  if (typeof content === 'string') slots.texts.push(field(raw, 'content'));
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (!isRecord(part)) continue;
      if (part.type === 'text') slots.texts.push(field(part, 'text'));
      else if (part.type === 'refusal') slots.texts.push(field(part, 'refusal'));
    }
  }
  if (Array.isArray(raw.tool_calls)) {
    for (const call of raw.tool_calls) {
      if (!isRecord(call)) continue;
      const type = call.type ?? 'function';
      if (type === 'function' && isRecord(call.function))
        slots.calls.push(jsonTextField(call.function, 'arguments'));
      else if (type === 'custom' && isRecord(call.custom)) slots.calls.push(field(call.custom, 'input'));
    }
  }
  if (isRecord(raw.function_call)) slots.calls.push(jsonTextField(raw.function_call, 'arguments'));
  return slots;
}

function openaiTools(body: Json): Array<TextSlot | null> {
  const out: Array<TextSlot | null> = [];
  const describe = (fn: unknown) => {
    out.push(isRecord(fn) && typeof fn.description === 'string' ? field(fn, 'description') : null);
  };
  if (Array.isArray(body.tools)) {
    for (const tool of body.tools) {
      if (!isRecord(tool)) continue;
      if (tool.type === 'function') describe(tool.function);
      else if (tool.type === 'custom') describe(tool.custom);
    }
  }
  if (Array.isArray(body.functions)) for (const fn of body.functions) describe(fn);
  return out;
}

/** Mirrors the Anthropic parser's addBlock: which blocks contribute texts and tool calls, in order. */
function anthropicBlock(block: Json, into: MessageSlots, counts: { images: number }): void {
  switch (block.type) {
    case 'text':
      into.texts.push(field(block, 'text'));
      break;
    case 'thinking':
      // The signature covers the thinking text: a rewritten one is refused upstream.
      into.texts.push(null);
      break;
    case 'image':
      counts.images++;
      break;
    case 'tool_use':
    case 'server_tool_use':
      into.calls.push(objectAsJson(block, 'input'));
      break;
    default:
      break;
  }
}

function anthropicMessage(raw: unknown): MessageSlots[] {
  if (!isRecord(raw)) return [];
  if (typeof raw.content === 'string') return [{ texts: [field(raw, 'content')], calls: [] }];
  if (!Array.isArray(raw.content)) return [];
  const main: MessageSlots = { texts: [], calls: [] };
  const counts = { images: 0 };
  const results: MessageSlots[] = [];
  for (const block of raw.content) {
    if (!isRecord(block)) continue;
    if (block.type !== 'tool_result') {
      anthropicBlock(block, main, counts);
      continue;
    }
    const result: MessageSlots = { texts: [], calls: [] };
    if (typeof block.content === 'string') result.texts.push(field(block, 'content'));
    else if (Array.isArray(block.content)) {
      for (const inner of block.content) if (isRecord(inner)) anthropicBlock(inner, result, { images: 0 });
    }
    results.push(result);
  }
  if (main.texts.length > 0 || main.calls.length > 0 || counts.images > 0 || results.length === 0) {
    results.push(main);
  }
  return results;
}

function anthropicSystem(body: Json): TextSlot[] {
  if (typeof body.system === 'string') return [field(body, 'system')];
  if (!Array.isArray(body.system)) return [];
  return body.system.filter(isRecord).map((block) => field(block, 'text'));
}

function anthropicTools(body: Json): Array<TextSlot | null> {
  if (!Array.isArray(body.tools)) return [];
  return body.tools
    .filter(isRecord)
    .map((tool) => (typeof tool.description === 'string' ? field(tool, 'description') : null));
}

/**
 * Slots of a parsed request's body, or null when they do not line up with the ParsedRequest (a parser change this
 * walk does not know yet): then nothing is masked, and the stage treats the findings as unmaskable.
 */
export function bodySlots(request: ParsedRequest): BodySlots | null {
  const body = request.body;
  const rawMessages = Array.isArray(body.messages) ? body.messages : [];
  const slots: BodySlots =
    request.provider === 'openai'
      ? { messages: rawMessages.map(openaiMessage), system: [], toolDescriptions: openaiTools(body) }
      : {
          messages: rawMessages.flatMap(anthropicMessage),
          system: anthropicSystem(body),
          toolDescriptions: anthropicTools(body),
        };
  if (
    slots.messages.length !== request.messages.length ||
    slots.system.length !== request.system.length ||
    slots.toolDescriptions.length !== request.tools.length
  ) {
    return null;
  }
  for (let i = 0; i < slots.messages.length; i++) {
    const parsed = request.messages[i];
    const mine = slots.messages[i] as MessageSlots;
    if (
      !parsed ||
      parsed.texts.length !== mine.texts.length ||
      parsed.toolCalls.length !== mine.calls.length
    ) {
      return null;
    }
  }
  return slots;
}
