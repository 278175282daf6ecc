/**
 * The index keys of a stored record read straight from its encoded properties bytes
 * (`name\u0001value\u0002...`), so an index worker builds entries without decoding strings:
 * at a million records a second, two substrings a record were most of its garbage.
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
