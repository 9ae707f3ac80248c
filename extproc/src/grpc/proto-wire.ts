// Protocol Buffers wire format, the few primitives ext-proc-codec.ts needs: reading fields off a Buffer without
// copying, and writing into one Buffer whose exact size is computed first.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

export class WireFormatError extends Error {
  constructor(message: string) {
    super(`malformed protobuf message: ${message}`);
    this.name = 'WireFormatError';
  }
}

/**
 * Node's Buffer methods behind toString(encoding, start, end), called directly: a header is two short strings, and
 * toString's argument handling costs as much as the decoding. The reader checks bounds before each call.
 */
type SliceableBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
};

/**
 * A cursor over one message. An embedded message is read in place: enter() bounds the cursor to it and leave()
 * restores the outer bound, so decoding allocates nothing but the values it returns.
 */
export class WireReader {
  pos = 0;
  end: number;

  constructor(readonly buf: Buffer) {
    this.end = buf.length;
  }

  /** At a length-delimited field: bounds the cursor to its payload; returns the bound to restore. */
  enter(): number {
    const outer = this.end;
    this.end = this.payloadEnd();
    return outer;
  }

  /** Done with the payload enter() bounded: the cursor moves past it. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint up to 2^53; larger values (never sent for the fields read here) lose precision. */
  varint(): number {
    const { buf, end } = this;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) throw new WireFormatError('truncated varint');
      const byte = buf[this.pos++] as number;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** A varint read as a signed 64-bit two's-complement integer (int32/int64/enum fields), as a Number. */
  signedVarint(): number {
    const start = this.pos;
    const value = this.varint();
    if (value < 2 ** 53) return value;
    // Negative numbers take ten bytes and do not fit a double's mantissa: redo them exactly.
    let big = 0n;
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt((this.buf[i] as number) & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireFormatError('truncated double');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Reads a length-delimited field's length; returns where its payload ends (the cursor is at its start). */
  private payloadEnd(): number {
    const length = this.varint();
    const stop = this.pos + length;
    if (stop > this.end) throw new WireFormatError('length-delimited field runs past its message');
    return stop;
  }

  /** A bytes field as a view of the message buffer (no copy), as protobufjs gives it. */
  bytes(): Buffer {
    const stop = this.payloadEnd();
    const value = this.buf.subarray(this.pos, stop);
    this.pos = stop;
    return value;
  }

  string(): string {
    const stop = this.payloadEnd();
    const value = (this.buf as SliceableBuffer).utf8Slice(this.pos, stop);
    this.pos = stop;
    return value;
  }

  latin1(): string {
    const stop = this.payloadEnd();
    const value = (this.buf as SliceableBuffer).latin1Slice(this.pos, stop);
    this.pos = stop;
    return value;
  }

  /** Passes over a field this codec does not read (forward compatibility with newer Envoys). */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LENGTH_DELIMITED:
        this.pos = this.payloadEnd();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(bytes: number): void {
    if (this.pos + bytes > this.end) throw new WireFormatError('truncated fixed-width field');
    this.pos += bytes;
  }
}

/** Bytes a varint of `value` takes; negative values are ten bytes (two's complement over 64 bits). */
export function varintSize(value: number): number {
  if (value < 0) return 10;
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 5;
  for (let rest = Math.floor(value / 2 ** 35); rest > 0; rest = Math.floor(rest / 128)) size++;
  return size;
}

/** Size of a length-delimited field's tag, length and payload (field numbers here are all below 16). */
export function delimitedSize(payloadBytes: number): number {
  return 1 + varintSize(payloadBytes) + payloadBytes;
}

export class WireWriter {
  readonly buf: Buffer;
  pos = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  varint(value: number): void {
    const { buf } = this;
    if (value < 0) {
      let big = BigInt.asUintN(64, BigInt(Math.trunc(value)));
      while (big >= 0x80n) {
        buf[this.pos++] = Number(big & 0x7fn) | 0x80;
        big >>= 7n;
      }
      buf[this.pos++] = Number(big);
      return;
    }
    let rest = value;
    while (rest >= 0x80) {
      buf[this.pos++] = (rest % 128) | 0x80;
      rest = Math.floor(rest / 128);
    }
    buf[this.pos++] = rest;
  }

  double(value: number): void {
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A string whose UTF-8 length the caller already measured. */
  string(value: string, byteLength: number): void {
    this.varint(byteLength);
    const { buf } = this;
    // As many bytes as characters: all ASCII. Short ones are cheaper copied here than through Buffer#write.
    if (byteLength === value.length && byteLength <= 64) {
      for (let i = 0; i < byteLength; i++) buf[this.pos++] = value.charCodeAt(i);
      return;
    }
    this.pos += buf.write(value, this.pos, byteLength, 'utf8');
  }

  finish(): Buffer {
    if (this.pos !== this.buf.length) {
      throw new Error(`protobuf encoder wrote ${this.pos} bytes into a ${this.buf.length}-byte message`);
    }
    return this.buf;
  }
}
