// A string's UTF-16 units as a typed array, for the whole-text loops that run on every request. V8 reads a string's
// unit with charCodeAt at 2-3 ns in a loop (it dispatches on the string's representation, flat, sliced or cons, at
// every call), an Uint16Array element at under 1 ns; Node copies a string's units into a buffer at memcpy speed
// (a twentieth of a nanosecond per unit), lone surrogates included, so one copy pays for itself in a single pass.

/** Units of scratch kept between calls; a longer text gets an array of its own, dropped with it. */
const KEPT_UNITS = 1 << 20;

let units = new Uint16Array(4096);
let bytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);

/**
 * The UTF-16 units of `text` in the first `text.length` elements of an array the next call reuses: the caller reads
 * them before anything else asks for the units of another text. (The whole array, not a subarray: one object less
 * per call.)
 */
export function codeUnitsOf(text: string): Uint16Array {
  const n = text.length;
  if (n > units.length) {
    if (n > KEPT_UNITS) {
      const own = new Uint16Array(n);
      Buffer.from(own.buffer, own.byteOffset, own.byteLength).write(text, 0, 'utf16le');
      return own;
    }
    units = new Uint16Array(Math.min(KEPT_UNITS, Math.max(n, units.length * 2)));
    bytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);
  }
  bytes.write(text, 0, 'utf16le');
  return units;
}
