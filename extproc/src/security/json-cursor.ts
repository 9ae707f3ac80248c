// Reads the few members a caller wants out of a JSON text and steps over the rest without building values. Stream
// events arrive by the dozen per answer and the scanner needs one or two strings from each; JSON.parse would build
// every object of every event first. It checks structure, not every rule of JSON: a malformed value it steps over
// (say `tru`) is not reported, so callers use it where reading a little more than JSON.parse would is harmless.

export class JsonShapeError extends Error {
  constructor(at: number) {
    super(`unexpected JSON at offset ${at}`);
    this.name = 'JsonShapeError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export class JsonCursor {
  private pos = 0;

  constructor(private readonly text: string) {}

  /** At an object: consumes `{` and returns true. At anything else: steps over it and returns false. */
  enterObject(): boolean {
    return this.enter(OPEN_BRACE);
  }

  /** At an array: consumes `[` and returns true. At anything else: steps over it and returns false. */
  enterArray(): boolean {
    return this.enter(OPEN_BRACKET);
  }

  /** Inside an object: the next member's key (the cursor then at its value), or null once the object closed. */
  nextKey(): string | null {
    if (this.closes(CLOSE_BRACE)) return null;
    if (this.peek() !== QUOTE) throw new JsonShapeError(this.pos);
    const key = this.string();
    if (this.peek() !== COLON) throw new JsonShapeError(this.pos);
    this.pos++;
    return key;
  }

  /** Inside an array: true when another element follows (the cursor then at it), false once the array closed. */
  nextElement(): boolean {
    return !this.closes(CLOSE_BRACKET);
  }

  /** The value at the cursor if it is a string (consumed); anything else is stepped over and gives undefined. */
  stringOrSkip(): string | undefined {
    if (this.peek() === QUOTE) return this.string();
    this.skip();
    return undefined;
  }

  /** The value at the cursor if it is a number (consumed); anything else is stepped over and gives undefined. */
  numberOrSkip(): number | undefined {
    if (this.kind() !== 'number') {
      this.skip();
      return undefined;
    }
    const start = this.pos;
    this.skipScalar();
    const value = Number(this.text.slice(start, this.pos));
    if (Number.isNaN(value)) throw new JsonShapeError(start);
    return value;
  }

  /** What kind of value is at the cursor (judged by its first character; nothing is consumed). */
  kind(): 'object' | 'array' | 'string' | 'number' | 'null' | 'other' {
    const c = this.peek();
    if (c === OPEN_BRACE) return 'object';
    if (c === OPEN_BRACKET) return 'array';
    if (c === QUOTE) return 'string';
    if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) return 'number';
    if (c === 0x6e) return 'null';
    return 'other';
  }

  /** Steps over the value at the cursor, whatever it is. */
  skip(): void {
    const c = this.peek();
    if (c === QUOTE) this.skipString();
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.skipNested();
    else this.skipScalar();
  }

  /** After the top-level value: only whitespace may follow. */
  end(): void {
    if (this.skipSpace() < this.text.length) throw new JsonShapeError(this.pos);
  }

  private enter(open: number): boolean {
    if (this.peek() === open) {
      this.pos++;
      this.first = true;
      return true;
    }
    this.skip();
    return false;
  }

  // Whether the next member or element is the first of its container (no comma before it).
  private first = false;

  private closes(close: number): boolean {
    let c = this.peek();
    if (c === close) {
      this.pos++;
      this.first = false;
      return true;
    }
    if (!this.first) {
      if (c !== COMMA) throw new JsonShapeError(this.pos);
      this.pos++;
      c = this.peek();
    }
    this.first = false;
    if (c === undefined) throw new JsonShapeError(this.pos);
    return false;
  }

  private peek(): number | undefined {
    const at = this.skipSpace();
    return at < this.text.length ? this.text.charCodeAt(at) : undefined;
  }

  private skipSpace(): number {
    const { text } = this;
    while (this.pos < text.length && isSpace(text.charCodeAt(this.pos))) this.pos++;
    return this.pos;
  }

  private string(): string {
    const start = this.pos + 1;
    const close = this.stringEnd(start);
    const raw = this.text.slice(start, close);
    this.pos = close + 1;
    // Escapes are rare in model output; JSON.parse decodes them exactly when there are any.
    return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
  }

  private skipString(): void {
    this.pos = this.stringEnd(this.pos + 1) + 1;
  }

  /** Index of the quote closing a string whose contents start at `from`. */
  private stringEnd(from: number): number {
    const { text } = this;
    let at = from;
    for (;;) {
      const quote = text.indexOf('"', at);
      if (quote === -1) throw new JsonShapeError(from);
      let backslashes = 0;
      for (let i = quote - 1; i >= from && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
      if (backslashes % 2 === 0) return quote;
      at = quote + 1;
    }
  }

  private skipNested(): void {
    const { text } = this;
    let depth = 0;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) {
        this.skipString();
        continue;
      }
      this.pos++;
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return;
      }
    }
    throw new JsonShapeError(this.pos);
  }

  private skipScalar(): void {
    const { text } = this;
    const start = this.pos;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c)) break;
      this.pos++;
    }
    if (this.pos === start) throw new JsonShapeError(start);
  }
}
