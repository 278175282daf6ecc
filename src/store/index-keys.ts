/**
 * The index keys of a record found without building key strings: in its stored properties bytes
 * (`name\u0001value\u0002...`, for an index worker reading the record back) or hashed from its
 * properties string on the append path (indexKeyHashesOf, handed to the index worker through the
 * ring). At a million records a second, two substrings a record were most of the garbage.
 *
 * Java hashes UTF-16 code units; for ASCII bytes those are the bytes themselves. A value with any
 * other byte is reported as such and the caller decodes it (rare: keys are ids).
 */
const NAME_VALUE_SEPARATOR = 0x01;
const PROPERTY_SEPARATOR = 0x02;
const KEYS = Buffer.from('KEYS', 'latin1');
const UNIQ_KEY = Buffer.from('UNIQ_KEY', 'latin1');

/** Where KEYS' and UNIQ_KEY's values lie (start -1 = absent), and whether both are ASCII. */
export interface IndexKeyRanges {
  keysStart: number;
  keysEnd: number;
  uniqStart: number;
  uniqEnd: number;
  ascii: boolean;
}

export function newIndexKeyRanges(): IndexKeyRanges {
  return { keysStart: -1, keysEnd: -1, uniqStart: -1, uniqEnd: -1, ascii: true };
}

/** Fills `out` from the properties in `b[start, end)`; the first occurrence of a name wins, as in findProperty. */
export function findIndexKeys(b: Buffer, start: number, end: number, out: IndexKeyRanges): IndexKeyRanges {
  out.keysStart = out.keysEnd = out.uniqStart = out.uniqEnd = -1;
  out.ascii = true;
  let p = start;
  while (p < end) {
    let sep = p;
    while (sep < end && b[sep] !== NAME_VALUE_SEPARATOR) sep++;
    if (sep >= end) break;
    let v = sep + 1;
    while (v < end && b[v] !== PROPERTY_SEPARATOR) v++;
    const isKeys = out.keysStart < 0 && nameIs(b, p, sep, KEYS);
    const isUniq = !isKeys && out.uniqStart < 0 && nameIs(b, p, sep, UNIQ_KEY);
    if (isKeys || isUniq) {
      for (let i = sep + 1; i < v; i++) if (b[i]! >= 0x80) out.ascii = false;
      if (isKeys) {
        out.keysStart = sep + 1;
        out.keysEnd = v;
      } else {
        out.uniqStart = sep + 1;
        out.uniqEnd = v;
      }
    }
    p = v + 1;
  }
  return out;
}

function nameIs(b: Buffer, from: number, to: number, name: Buffer): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[from + i] !== name[i]) return false;
  return true;
}

/** indexKeyHashFrom over ASCII bytes `b[start, end)`: continues the `topic#` prefix hash. */
export function indexKeyHashFromBytes(prefixHash: number, b: Buffer, start: number, end: number): number {
  let h = prefixHash;
  for (let i = start; i < end; i++) h = (Math.imul(31, h) + b[i]!) | 0;
  return h === -2147483648 ? 0 : Math.abs(h);
}

/**
 * The index key hashes of a record from its properties string, in the order IndexService.buildIndex
 * puts them: UNIQ_KEY's (when non-empty), then each non-empty space-separated KEYS entry's, each
 * continuing `prefixHash` (indexKeyPrefixHash of the topic). Returns how many were written to
 * `out`, or -1 when they do not fit or a key holds a surrogate code unit (a lone one is stored as
 * U+FFFD, so the record's key would hash differently; such records are read back instead).
 * Allocation-free.
 */
export function indexKeyHashesOf(props: string, prefixHash: number, out: Int32Array): number {
  let n = 0;
  const u = valueStart(props, UNIQ_KEY_NAME);
  if (u >= 0) {
    const end = valueEnd(props, u);
    if (end > u) {
      const h = hashOrSurrogate(prefixHash, props, u, end);
      if (h < 0 || n === out.length) return -1;
      out[n++] = h;
    }
  }
  const k = valueStart(props, KEYS_NAME);
  if (k < 0) return n;
  const end = valueEnd(props, k);
  let start = k;
  for (let i = k; i <= end; i++) {
    if (i < end && props.charCodeAt(i) !== KEY_SEPARATOR) continue;
    if (i > start) {
      const h = hashOrSurrogate(prefixHash, props, start, i);
      if (h < 0 || n === out.length) return -1;
      out[n++] = h;
    }
    start = i + 1;
  }
  return n;
}

const KEYS_NAME = 'KEYS\u0001';
const UNIQ_KEY_NAME = 'UNIQ_KEY\u0001';
const KEY_SEPARATOR = 0x20;

/** Where the value of the first property called `nameSep` (name + \u0001) starts, or -1. */
function valueStart(props: string, nameSep: string): number {
  for (let i = props.indexOf(nameSep); i >= 0; i = props.indexOf(nameSep, i + 1)) {
    if (i === 0 || props.charCodeAt(i - 1) === PROPERTY_SEPARATOR) return i + nameSep.length;
  }
  return -1;
}

function valueEnd(props: string, start: number): number {
  const e = props.indexOf('\u0002', start);
  return e < 0 ? props.length : e;
}

/** indexKeyHashFrom of `s[start, end)`, or -1 if it holds a surrogate code unit (one pass). */
function hashOrSurrogate(prefixHash: number, s: string, start: number, end: number): number {
  let h = prefixHash;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if ((c & 0xf800) === 0xd800) return -1;
    h = (Math.imul(31, h) + c) | 0;
  }
  return h === -2147483648 ? 0 : Math.abs(h);
}
