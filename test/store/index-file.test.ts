import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../../src/store/errors.js';
import { javaStringHashCode } from '../../src/store/java-hash.js';
import {
  INDEX_ENTRY_SIZE,
  INDEX_HEADER_SIZE,
  IndexFile,
  indexFileSize,
  indexKeyHash,
  indexKeyHashFrom,
  indexKeyPrefixHash,
  readIndexEntry,
  readIndexHeader,
  writeIndexEntry,
  writeIndexHeader,
} from '../../src/store/index-file.js';
import { RMQ_INDEX, RMQ_INDEX_FILE } from './index-fixture.js';

const ALL_TIME: [number, number] = [0, Number.MAX_SAFE_INTEGER];

function lookup(f: IndexFile, topic: string, key: string, maxNum = 64, [begin, end] = ALL_TIME): number[] {
  const out: number[] = [];
  f.selectPhyOffsets(out, indexKeyHash(topic, key), maxNum, begin, end);
  return out;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'index-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('IndexFile layout', () => {
  it('encodes a header to the reference bytes', () => {
    // The header RocketMQ 4.9 wrote for the fixture workload, built by hand field by field.
    const golden = Buffer.from(
      '000001a1ffecf9a3' + // beginTimestamp 1795295082915
        '000001a1ffecf9fa' + // endTimestamp   1795295083002
        '0000000000000000' + // beginPhyOffset 0
        '0000000000000ba6' + // endPhyOffset   2982
        '00000014' + //         hashSlotCount  20
        '00000015', //          indexCount     21
      'hex',
    );
    const buf = Buffer.alloc(INDEX_HEADER_SIZE);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
    writeIndexHeader(v, RMQ_INDEX.indexHeader);
    expect(buf.toString('hex')).toBe(golden.toString('hex'));
    const gv = new DataView(golden.buffer, golden.byteOffset, golden.length);
    expect(readIndexHeader(gv)).toEqual(RMQ_INDEX.indexHeader);
  });

  it('encodes an entry to the reference bytes, longs above 2^32 included', () => {
    // keyHash of TopicTest#key1 (facts §6: hash -1655984460, slot 984460 of 5,000,000).
    expect(indexKeyHash('TopicTest', 'key1')).toBe(1655984460);
    expect(indexKeyHash('TopicTest', 'key1') % 5_000_000).toBe(984460);
    const golden = Buffer.from('62b4514c' + '0000000500000010' + '00000007' + '00000003', 'hex');
    const buf = Buffer.alloc(INDEX_ENTRY_SIZE + 4);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
    writeIndexEntry(v, 4, 1655984460, 5 * 2 ** 32 + 16, 7, 3);
    expect(buf.subarray(4).toString('hex')).toBe(golden.toString('hex'));
    expect(readIndexEntry(v, 4)).toEqual({ keyHash: 1655984460, phyOffset: 5 * 2 ** 32 + 16, timeDiff: 7, prevIndex: 3 });
  });

  it('hashes MIN_VALUE to 0 and equals the concatenated key hash', () => {
    expect(indexKeyHashFrom(-2147483648, '')).toBe(0);
    for (const key of ['k', 'key-17', 'zzzzzzzz', 'UNIQ-7F00000100002A9F0000']) {
      expect(indexKeyHash('Topic', key)).toBe(Math.abs(javaStringHashCode(`Topic#${key}`)));
      expect(indexKeyHashFrom(indexKeyPrefixHash('Topic'), ` ${key} `, 1, key.length + 1)).toBe(indexKeyHash('Topic', key));
    }
    expect(javaStringHashCode('Topic#key-17')).toBeLessThan(0); // abs matters for this one
    expect(indexKeyHash('FixtureTopic', 'key-0')).toBe(0x45d2f1bb);
  });
});

describe('IndexFile against RocketMQ 4.9 bytes', () => {
  const { hashSlotNum, indexNum, size } = RMQ_INDEX.indexFile;
  const keyed = RMQ_INDEX.messages.filter((m) => m.keys.length > 0);

  it('reads RocketMQ’s own file: header and every key', () => {
    const copy = join(dir, 'copy');
    copyFileSync(RMQ_INDEX_FILE, copy);
    const f = IndexFile.open(copy, hashSlotNum, indexNum);
    expect(indexFileSize(hashSlotNum, indexNum)).toBe(size);
    expect(f.header()).toEqual(RMQ_INDEX.indexHeader);
    expect(keyed).toHaveLength(20);
    for (const m of keyed) expect(lookup(f, m.topic, m.keys[0])).toEqual([m.commitLogOffset]);
    expect(lookup(f, 'FixtureTopic', 'key-20')).toEqual([]);
    expect(lookup(f, 'OtherTopic', 'key-1')).toEqual([]);
    f.close();
  });

  it('writes the same bytes for the same keys', () => {
    const path = join(dir, 'mine');
    const f = IndexFile.create(path, hashSlotNum, indexNum);
    for (const m of keyed) expect(f.putKey(indexKeyHash(m.topic, m.keys[0]), m.commitLogOffset, m.storeTimestamp)).toBe(true);
    f.close();
    expect(readFileSync(path).equals(readFileSync(RMQ_INDEX_FILE))).toBe(true);
  });

  it('takes an on-disk indexCount of 0 (created, never written by RocketMQ) as 1', () => {
    const path = join(dir, 'empty');
    writeFileSync(path, Buffer.alloc(size));
    const f = IndexFile.open(path, hashSlotNum, indexNum);
    expect(f.indexCount).toBe(1);
    f.putKey(indexKeyHash('T', 'a'), 100, 5000);
    expect(f.entry(1)).toEqual({ keyHash: indexKeyHash('T', 'a'), phyOffset: 100, timeDiff: 0, prevIndex: 0 });
    expect(lookup(f, 'T', 'a')).toEqual([100]);
    f.close();
  });
});

describe('IndexFile behaviour', () => {
  const T0 = 1_700_000_000_000;

  it('chains collisions in one slot and finds each key newest first', () => {
    const f = IndexFile.create(join(dir, 'one-slot'), 1, 32);
    const keys = ['a', 'b', 'a', 'c', 'b', 'a'];
    keys.forEach((k, i) => f.putKey(indexKeyHash('T', k), i * 100, T0 + i));
    expect(f.hashSlotCount).toBe(1);
    expect(f.indexCount).toBe(7);
    expect(lookup(f, 'T', 'a')).toEqual([500, 200, 0]);
    expect(lookup(f, 'T', 'b')).toEqual([400, 100]);
    expect(lookup(f, 'T', 'c')).toEqual([300]);
    expect(lookup(f, 'T', 'a', 2)).toEqual([500, 200]);
    f.close();
  });

  it('chains with two slots: slot counts and chain links as RocketMQ writes them', () => {
    const f = IndexFile.create(join(dir, 'two-slots'), 2, 32);
    const hashes = ['k1', 'k2', 'k3', 'k4', 'k5'].map((k) => indexKeyHash('T', k));
    hashes.forEach((h, i) => f.putKey(h, i, T0));
    expect(f.hashSlotCount).toBe(new Set(hashes.map((h) => h % 2)).size);
    for (let n = 1; n <= 5; n++) {
      const earlier = hashes.slice(0, n - 1).map((h, i) => ({ slot: h % 2, n: i + 1 }));
      const prev = earlier.filter((e) => e.slot === hashes[n - 1] % 2).at(-1)?.n ?? 0;
      expect(f.entry(n).prevIndex).toBe(prev);
    }
    f.close();
  });

  it('filters by time window in whole seconds since the file began', () => {
    const f = IndexFile.create(join(dir, 'time'), 4, 32);
    const h = indexKeyHash('T', 'k');
    f.putKey(h, 0, T0);
    f.putKey(h, 10, T0 + 5_400);
    f.putKey(h, 20, T0 + 10_999);
    expect([1, 2, 3].map((n) => f.entry(n).timeDiff)).toEqual([0, 5, 10]);
    expect(lookup(f, 'T', 'k', 64, [T0 + 5_000, T0 + 9_999])).toEqual([10]);
    expect(lookup(f, 'T', 'k', 64, [T0 + 5_000, T0 + 10_000])).toEqual([20, 10]);
    expect(lookup(f, 'T', 'k', 64, [T0, T0])).toEqual([0]);
    expect(f.isTimeMatched(T0 + 11_000, T0 + 12_000)).toBe(false);
    expect(f.isTimeMatched(T0 - 5, T0 + 1)).toBe(true);
    f.close();
  });

  it('is full at maxIndexNum - 1 entries and refuses more', () => {
    const f = IndexFile.create(join(dir, 'full'), 2, 4);
    for (let i = 0; i < 3; i++) expect(f.putKey(i, i, T0)).toBe(true);
    expect(f.isFull()).toBe(true);
    expect(f.putKey(9, 9, T0)).toBe(false);
    expect(f.indexCount).toBe(4);
    f.close();
  });

  it('starts from the previous file’s end values', () => {
    const f = IndexFile.create(join(dir, 'next'), 2, 4, 5000, T0);
    expect(f.header()).toEqual({ beginTimestamp: T0, endTimestamp: T0, beginPhyOffset: 5000, endPhyOffset: 5000, hashSlotCount: 0, indexCount: 1 });
    f.putKey(1, 6000, T0 + 3000);
    // As in RocketMQ: the first entry's timeDiff is taken against the inherited begin time, and
    // only then does the header re-base on that entry.
    expect(f.entry(1).timeDiff).toBe(3);
    expect([f.beginPhyOffset, f.beginTimestamp, f.endPhyOffset]).toEqual([6000, T0 + 3000, 6000]);
    f.close();
  });

  it('truncation rolls entries back to exactly the bytes of never having written them', () => {
    const keys = ['a', 'b', 'a', 'c', 'a', 'd', 'b', 'a'];
    const build = (path: string, n: number) => {
      const f = IndexFile.create(path, 3, 32);
      keys.slice(0, n).forEach((k, i) => f.putKey(indexKeyHash('T', k), i * 100, T0 + i * 1000));
      return f;
    };
    const full = build(join(dir, 'full'), keys.length);
    expect(full.truncateFrom(450)).toBe(3);
    expect(full.truncateFrom(450)).toBe(0);
    full.close();
    build(join(dir, 'short'), 5).close();
    expect(readFileSync(join(dir, 'full')).equals(readFileSync(join(dir, 'short')))).toBe(true);
  });

  it('refuses writes when read-only and files of the wrong size', () => {
    const path = join(dir, 'ro');
    IndexFile.create(path, 2, 4).close();
    const ro = IndexFile.open(path, 2, 4, { readOnly: true });
    expect(() => ro.putKey(1, 1, 1)).toThrow(StoreError);
    ro.close();
    expect(() => IndexFile.open(path, 4, 4)).toThrow(expect.objectContaining({ code: 'FILE_SIZE_MISMATCH' }));
  });
});
