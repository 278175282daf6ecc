import { describe, expect, it } from 'vitest';
import { findIndexKeys, indexKeyHashesOf, indexKeyHashFromBytes, newIndexKeyRanges } from '../../src/store/index-keys.js';
import { indexKeyHash, indexKeyPrefixHash } from '../../src/store/index-file.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

describe('index keys read from property bytes', () => {
  it('finds KEYS and UNIQ_KEY wherever they sit, the first occurrence winning', () => {
    const props = 'TAGS\u0001a\u0002UNIQ_KEY\u0001U1\u0002KEYS\u0001k1 k2\u0002XKEYS\u0001no\u0002KEYS\u0001second';
    const b = Buffer.concat([enc('junk'), enc(props), enc('tail')]);
    const r = findIndexKeys(b, 4, 4 + Buffer.byteLength(props), newIndexKeyRanges());
    expect(b.toString('latin1', r.keysStart, r.keysEnd)).toBe('k1 k2');
    expect(b.toString('latin1', r.uniqStart, r.uniqEnd)).toBe('U1');
    expect(r.ascii).toBe(true);
  });

  it('reports absent keys, empty properties and non-ASCII values', () => {
    const none = findIndexKeys(enc('TAGS\u0001a'), 0, 6, newIndexKeyRanges());
    expect([none.keysStart, none.uniqStart]).toEqual([-1, -1]);
    const empty = findIndexKeys(Buffer.alloc(0), 0, 0, newIndexKeyRanges());
    expect([empty.keysStart, empty.uniqStart, empty.ascii]).toEqual([-1, -1, true]);
    const b = enc('KEYS\u0001clé');
    expect(findIndexKeys(b, 0, b.length, newIndexKeyRanges()).ascii).toBe(false);
    // A non-ASCII value of some other property does not matter.
    const other = enc('TAGS\u0001é\u0002KEYS\u0001k');
    expect(findIndexKeys(other, 0, other.length, newIndexKeyRanges()).ascii).toBe(true);
  });

  it('hashes ASCII bytes exactly as Java hashes the string topic#key', () => {
    for (const [topic, key] of [['T', 'k'], ['BenchTopic', 'order-123456'], ['t', 'AC11000100002A9F0000000000000001'], ['x', '']]) {
      const b = enc(`..${key}..`);
      expect(indexKeyHashFromBytes(indexKeyPrefixHash(topic!), b, 2, 2 + key!.length)).toBe(indexKeyHash(topic!, key!));
    }
  });

  it('hashes the keys of a properties string as buildIndex puts them: UNIQ_KEY first, then each KEYS entry', () => {
    const out = new Int32Array(4);
    const hashes = (props: string) => {
      const n = indexKeyHashesOf(props, indexKeyPrefixHash('T'), out);
      return n < 0 ? n : [...out.subarray(0, n)];
    };
    const h = (key: string) => indexKeyHash('T', key);
    expect(hashes('TAGS\u0001a\u0002KEYS\u0001k1  k2 \u0002UNIQ_KEY\u0001U1')).toEqual([h('U1'), h('k1'), h('k2')]);
    // The first occurrence of a name wins; a name must start a property.
    expect(hashes('XKEYS\u0001no\u0002KEYS\u0001yes\u0002KEYS\u0001again')).toEqual([h('yes')]);
    expect(hashes('KEYS\u0001\u0002UNIQ_KEY\u0001')).toEqual([]);
    expect(hashes('TAGS\u0001a')).toEqual([]);
    expect(hashes('KEYS\u0001clé 键')).toEqual([h('clé'), h('键')]);
    // Does not fit a ring slot, or would not survive UTF-8: the worker reads the record instead.
    expect(hashes('KEYS\u0001a b c d e')).toBe(-1);
    expect(hashes('KEYS\u0001a b c d\u0002UNIQ_KEY\u0001u')).toBe(-1);
    expect(hashes('KEYS\u0001a\ud800')).toBe(-1);
    expect(hashes('UNIQ_KEY\u0001\udc00')).toBe(-1);
    expect(hashes('KEYS\u0001a b c d')).toEqual([h('a'), h('b'), h('c'), h('d')]);
  });
});
