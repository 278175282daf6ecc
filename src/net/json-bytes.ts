/**
 * Writes JSON text straight into a reusable byte buffer: fixed fragments, integers and strings
 * escaped exactly as JSON.stringify escapes them. For hot headers (every send request) where
 * building a JS string first (concatenations, then flattening and UTF-8 encoding it) was the
 * largest share of the client's garbage. One writer per thread; `reset` before each text.
 */
export class JsonBytesWriter {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  /** Bytes written so far (a view into the reused buffer: copy before the next reset). */
  get bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  raw(b: Buffer): this {
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
    return this;
  }

  /** An integer as String(n) would write it (any other number falls back to String). */
  int(n: number): this {
    if (!Number.isSafeInteger(n)) return this.ascii(String(n));
    this.ensure(17);
    const b = this.buf;
    if (n < 0) {
      b[this.length++] = 0x2d;
      n = -n;
    }
    let i = this.length;
    do {
      b[i++] = 0x30 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
    // Digits came out least significant first: reverse them in place.
    for (let lo = this.length, hi = i - 1; lo < hi; lo++, hi--) {
      const t = b[lo]!;
      b[lo] = b[hi]!;
      b[hi] = t;
    }
    this.length = i;
    return this;
  }

  /** A string of ASCII characters that need no escaping (field names, fixed words). */
  ascii(s: string): this {
    this.ensure(s.length);
    this.length += this.buf.write(s, this.length, 'latin1');
    return this;
  }

  /** `s` as a JSON string literal, quotes included, byte-identical to JSON.stringify(s). */
  string(s: string): this {
    // Worst case for the ASCII path: every character as \u00XX.
    this.ensure(s.length * 6 + 2);
    const b = this.buf;
    let p = this.length;
    b[p++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.stringSlow(s);
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
        b[p++] = c;
        continue;
      }
      b[p++] = 0x5c;
      const short = SHORT_ESCAPES[c];
      if (short !== undefined) b[p++] = short;
      else {
        b[p++] = 0x75; // u00XX, lower-case hex as V8 writes it
        b[p++] = 0x30;
        b[p++] = 0x30;
        b[p++] = HEX[c >> 4]!;
        b[p++] = HEX[c & 15]!;
      }
    }
    b[p++] = 0x22;
    this.length = p;
    return this;
  }

  /** Non-ASCII text: JSON.stringify handles surrogates; UTF-8 encoding by Buffer.write. */
  private stringSlow(s: string): this {
    const text = JSON.stringify(s);
    this.ensure(Buffer.byteLength(text));
    this.length += this.buf.write(text, this.length, 'utf8');
    return this;
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}

const HEX = Buffer.from('0123456789abcdef');
/** JSON.stringify's two-character escapes: \" \\ \b \f \n \r \t. */
const SHORT_ESCAPES: (number | undefined)[] = [];
SHORT_ESCAPES[0x22] = 0x22;
SHORT_ESCAPES[0x5c] = 0x5c;
SHORT_ESCAPES[0x08] = 0x62;
SHORT_ESCAPES[0x0c] = 0x66;
SHORT_ESCAPES[0x0a] = 0x6e;
SHORT_ESCAPES[0x0d] = 0x72;
SHORT_ESCAPES[0x09] = 0x74;
