import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SegmentWalker, type SegmentFile } from '../../src/store/segment-walk.js';
import { SegmentScanPool } from '../../src/store/segment-scan-pool.js';
import { decodeMessage } from '../../src/store/index.js';
import { recordLayout } from '../../src/store/message-codec.js';
import { msg } from './conformance.js';
import { scratchStores } from '../helpers/scratch-store.js';

const { fresh, open } = scratchStores();
const SEGMENT = 16 * 1024;

/** A closed store of `n` records of 10-3000 byte bodies over 16 KiB segments: its segments and record offsets. */
async function stored(n: number): Promise<{ segments: SegmentFile[]; offsets: number[] }> {
  const cfg = fresh({ mappedFileSizeCommitLog: SEGMENT });
  const s = await open(cfg);
  const offsets: number[] = [];
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    offsets.push((await s.putMessage(msg('W', i % 3, `${i}:`.padEnd(10 + (x % 2990), 'b')))).wroteOffset);
  }
  await s.shutdown();
  const dir = join(cfg.storePathRootDir, 'commitlog');
  const segments = readdirSync(dir)
    .sort()
    .map((name) => ({ path: join(dir, name), fileFromOffset: Number(name), fileSize: SEGMENT }));
  return { segments, offsets };
}

function walkAll(w: SegmentWalker, segments: SegmentFile[], from: number, checkCRC: boolean, onInvalid?: (at: number) => void) {
  const seen: number[] = [];
  const end = w.walk(
    segments,
    from,
    checkCRC,
    (buf, pos, at) => {
      // The visitor gets the whole record, wherever the chunk cut it.
      expect(decodeMessage(buf, pos).commitLogOffset).toBe(at);
      seen.push(at);
    },
    onInvalid,
  );
  return { seen, end };
}

describe('walking commit log segments through a reused read buffer', () => {
  it('visits every record once whatever the chunk size, records cut by a chunk end included', async () => {
    const { segments, offsets } = await stored(120);
    expect(segments.length).toBeGreaterThan(5);
    const last = segments.at(-1)!;
    const lastEnd = offsets.at(-1)! + readFileSync(last.path).readInt32BE(offsets.at(-1)! - last.fileFromOffset);
    for (const chunk of [1, 997, 4096, 5000, 1 << 20]) {
      const { seen, end } = walkAll(new SegmentWalker(3200, chunk), segments, 0, true);
      expect(seen, `chunk ${chunk}`).toEqual(offsets);
      expect(end).toBe(lastEnd);
    }
    // From a record boundary inside a later segment.
    const from = offsets[50]!;
    expect(walkAll(new SegmentWalker(3200, 997), segments.filter((f) => f.fileFromOffset + SEGMENT > from), from, true).seen).toEqual(offsets.slice(50));
  });

  it('a record that fails its CRC ends the walk there, or only its segment when the caller says so', async () => {
    const { segments, offsets } = await stored(120);
    const bad = offsets.findIndex((o) => o >= SEGMENT * 2 + 5000);
    const seg = segments.find((f) => f.fileFromOffset <= offsets[bad]! && offsets[bad]! < f.fileFromOffset + SEGMENT)!;
    const bytes = readFileSync(seg.path);
    const at = offsets[bad]! - seg.fileFromOffset;
    bytes[recordLayout(bytes, at).bodyLenAt + 4 + 2] ^= 0xff; // the body's third byte
    writeFileSync(seg.path, bytes);
    const w = new SegmentWalker(3200, 997);
    const strict = walkAll(w, segments, 0, true);
    expect(strict.seen).toEqual(offsets.slice(0, bad));
    expect(strict.end).toBe(offsets[bad]);
    // Without the CRC check the damage goes unseen (RocketMQ's reput does not check it either).
    expect(walkAll(w, segments, 0, false).seen).toEqual(offsets);
    const reported: number[] = [];
    const lenient = walkAll(w, segments, 0, true, (at) => reported.push(at));
    expect(reported).toEqual([offsets[bad]]);
    expect(lenient.seen).toEqual(offsets.filter((o, i) => i < bad || o >= seg.fileFromOffset + SEGMENT));
  });

  it('a scan pool finds the same end as a walk, a segment per thread', async () => {
    const { segments, offsets } = await stored(120);
    const pool = new SegmentScanPool({ maxThreads: 2 });
    try {
      const w = new SegmentWalker(3200);
      const whole = w.walk(segments, 0, true, () => {});
      expect(await pool.validEnd(segments, 0, true, 3200)).toBe(whole);
      expect(await pool.validEnd(segments.slice(2), segments[2]!.fileFromOffset, true, 3200)).toBe(whole);
      const bad = offsets.findIndex((o) => o >= SEGMENT * 3 + 2000);
      const seg = segments.find((f) => f.fileFromOffset <= offsets[bad]! && offsets[bad]! < f.fileFromOffset + SEGMENT)!;
      const bytes = readFileSync(seg.path);
      bytes[recordLayout(bytes, offsets[bad]! - seg.fileFromOffset).bodyLenAt + 5] ^= 0x01;
      writeFileSync(seg.path, bytes);
      expect(await pool.validEnd(segments, 0, true, 3200)).toBe(offsets[bad]);
      expect(await pool.validEnd(segments, 0, false, 3200)).toBe(whole);
      await expect(pool.validEnd([{ path: `${seg.path}.gone`, fileFromOffset: 0, fileSize: SEGMENT }], 0, true, 3200)).rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      await pool.close();
    }
  });
});
