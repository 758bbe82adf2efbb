/**
 * The entropy coding of a baseline JPEG: Huffman tables (a 9-bit lookup, with code and extra bits
 * together for AC symbols that fit) and the bit reader over entropy-coded data (byte stuffing
 * undone, restart markers stepped over). Used by jpeg-luma.ts; anything malformed throws
 * {@link Unsupported}, which the decoder turns into null.
 */

/** Bits of the Huffman lookup table. */
export const LUT_BITS = 9;

/** A decoding table built from a DHT segment. */
export interface Huffman {
  /** Codes of ≤ 9 bits: (length << 8) | symbol, 0 for longer codes. */
  lut: Uint16Array;
  /** Largest code of each length 1..16 (−1: none). */
  maxcode: Int32Array;
  /** Index of the first symbol of each length minus its first code. */
  valoff: Int32Array;
  symbols: Uint8Array;
  /**
   * For AC tables, by the next 9 bits: the bits of the code and its extra bits together when
   * both fit in 9 (0: decode the slow way), the symbol (run << 4 | size) and the coefficient.
   */
  fastLen: Uint8Array;
  fastRs: Uint8Array;
  fastVal: Int16Array;
}

/** Thrown inside the decoder for anything it does not handle; turned into null. */
export class Unsupported extends Error {}

/** The decoding table of a DHT segment's code counts (lengths 1..16) and symbols. */
export function buildHuffman(counts: Uint8Array, symbols: Uint8Array): Huffman {
  const lut = new Uint16Array(1 << LUT_BITS);
  const maxcode = new Int32Array(17).fill(-1);
  const valoff = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1];
    valoff[len] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (len <= LUT_BITS) {
        const shift = LUT_BITS - len;
        const base = code << shift;
        for (let f = 0; f < 1 << shift; f++) lut[base + f] = (len << 8) | symbols[k];
      }
    }
    if (n > 0) maxcode[len] = code - 1;
    if (code > 1 << len) throw new Unsupported('bad Huffman table');
    code <<= 1;
  }
  const fastLen = new Uint8Array(1 << LUT_BITS);
  const fastRs = new Uint8Array(1 << LUT_BITS);
  const fastVal = new Int16Array(1 << LUT_BITS);
  for (let peek = 0; peek < 1 << LUT_BITS; peek++) {
    const e = lut[peek];
    if (e === 0) continue;
    const len = e >> 8;
    const rs = e & 0xff;
    const size = rs & 15;
    if (len + size > LUT_BITS) continue;
    fastLen[peek] = len + size;
    fastRs[peek] = rs;
    if (size > 0) fastVal[peek] = extend((peek >> (LUT_BITS - len - size)) & ((1 << size) - 1), size);
  }
  return { lut, maxcode, valoff, symbols, fastLen, fastRs, fastVal };
}

/** Entropy-coded data reader: byte stuffing undone, stops (feeding zeros) at a marker. */
export class BitReader {
  buf = 0;
  n = 0;
  pos: number;
  /** The marker byte that stopped reading (after 0xFF), or −1. */
  marker = -1;
  /** Set when the data ended without a marker (truncated file). */
  ranOut = false;
  /** Zero bytes fed after the marker (see {@link BitReader.overran}). */
  zeros = 0;

  constructor(
    private readonly data: Uint8Array,
    pos: number,
  ) {
    this.pos = pos;
  }

  fill(): void {
    const data = this.data;
    while (this.n < 24) {
      let b = 0;
      if (this.marker >= 0) this.zeros++;
      else {
        if (this.pos >= data.length) this.ranOut = true;
        else {
          b = data[this.pos++];
          if (b === 0xff) {
            let next = data[this.pos];
            while (next === 0xff) next = data[++this.pos];
            if (next === 0) this.pos++;
            else {
              // a marker: leave pos on its 0xFF
              this.marker = next;
              this.pos--;
              b = 0;
              this.zeros++;
            }
          }
        }
      }
      this.buf = ((this.buf << 8) | b) & 0xffffffff;
      this.n += 8;
    }
  }

  bits(k: number): number {
    if (this.n < k) this.fill();
    this.n -= k;
    return (this.buf >>> this.n) & ((1 << k) - 1);
  }

  decode(h: Huffman): number {
    if (this.n < 16) this.fill();
    const e = h.lut[(this.buf >>> (this.n - LUT_BITS)) & ((1 << LUT_BITS) - 1)];
    if (e !== 0) {
      this.n -= e >> 8;
      return e & 0xff;
    }
    for (let len = LUT_BITS + 1; len <= 16; len++) {
      const code = (this.buf >>> (this.n - len)) & ((1 << len) - 1);
      if (code <= h.maxcode[len]) {
        this.n -= len;
        return h.symbols[h.valoff[len] + code];
      }
    }
    throw new Unsupported('bad Huffman code');
  }

  /** Whether decoding used bits past the end of the segment (the zeros fed at its marker): corrupt or truncated data. */
  overran(): boolean {
    return this.ranOut || this.zeros * 8 > this.n;
  }

  /** Drops the padding bits left before a restart marker and steps over it. */
  restart(): void {
    if (this.overran()) throw new Unsupported('restart interval overran its data');
    this.n = 0;
    if (this.marker < 0) this.fill();
    if (this.marker < 0xd0 || this.marker > 0xd7) throw new Unsupported('missing restart marker');
    this.pos += 2;
    this.marker = -1;
    this.buf = 0;
    this.n = 0;
    this.zeros = 0;
  }
}

/** A coefficient's value from its `s` extra bits (JPEG's EXTEND: the low half is negative). */
export function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}
