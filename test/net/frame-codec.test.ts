import { describe, expect, it } from 'vitest';
import { FrameDecoder, DEFAULT_MAX_FRAME_SIZE } from '../../src/net/frame-codec.js';
import { RemotingError } from '../../src/net/remoting-error.js';
import { loadFrames } from './helpers.js';

const frames = loadFrames().map((f) => f.bytes);
const stream = Buffer.concat(frames);

/** Deterministic PRNG so a failing split can be reproduced from the seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function decodeInChunks(sizes: () => number): Buffer[] {
  const dec = new FrameDecoder();
  const out: Buffer[] = [];
  for (let off = 0; off < stream.length; ) {
    const n = Math.max(1, sizes());
    out.push(...dec.push(stream.subarray(off, off + n)));
    off += n;
  }
  expect(dec.bufferedBytes).toBe(0);
  return out;
}

function expectAllFrames(out: Buffer[]): void {
  expect(out).toHaveLength(frames.length);
  out.forEach((f, i) => expect(f.equals(frames[i]!.subarray(4)), `frame ${i}`).toBe(true));
}

function expectThrows(fn: () => unknown, code: string): void {
  expect(fn).toThrow(RemotingError);
  try {
    fn();
  } catch (err) {
    expect((err as RemotingError).code).toBe(code);
  }
}

describe('FrameDecoder reassembly', () => {
  it('yields every fixture frame from one chunk, as zero-copy views', () => {
    const dec = new FrameDecoder();
    const out = dec.push(stream);
    expectAllFrames(out);
    expect(out[0]!.buffer).toBe(stream.buffer);
  });

  it('yields every frame when fed one byte at a time', () => {
    expectAllFrames(decodeInChunks(() => 1));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('yields every frame over random chunk splits (seed %i)', (seed) => {
    const rnd = mulberry32(seed);
    const maxChunk = [3, 17, 200, 1500, 70000][seed % 5]!;
    expectAllFrames(decodeInChunks(() => Math.floor(rnd() * maxChunk) + 1));
  });

  it('splits inside the length prefix and keeps the trailing partial frame', () => {
    const dec = new FrameDecoder();
    const a = frames[0]!;
    const b = frames[1]!;
    expect(dec.push(Buffer.concat([a, b.subarray(0, 2)]))).toHaveLength(1);
    expect(dec.bufferedBytes).toBe(2);
    expect(dec.push(b.subarray(2, 6))).toHaveLength(0);
    const out = dec.push(Buffer.concat([b.subarray(6), a]));
    expect(out.map((f) => f.length)).toEqual([b.length - 4, a.length - 4]);
  });
});

describe('FrameDecoder rejects bad lengths', () => {
  it('uses 16 MiB by default, counting the prefix as Netty does', () => {
    const ok = Buffer.alloc(4);
    ok.writeInt32BE(DEFAULT_MAX_FRAME_SIZE - 4, 0);
    expect(new FrameDecoder().push(ok)).toHaveLength(0);
    const big = Buffer.alloc(4);
    big.writeInt32BE(DEFAULT_MAX_FRAME_SIZE - 3, 0);
    expectThrows(() => new FrameDecoder().push(big), 'FRAME_TOO_LARGE');
  });

  it('rejects an oversized frame as soon as its prefix arrives, with a configured maximum', () => {
    const dec = new FrameDecoder(1024);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(2000, 0);
    expect(dec.push(prefix.subarray(0, 3))).toHaveLength(0);
    expectThrows(() => dec.push(prefix.subarray(3)), 'FRAME_TOO_LARGE');
  });

  it('rejects negative and too-short lengths', () => {
    expectThrows(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2])), 'BAD_FRAME_LENGTH');
    expectThrows(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 3, 1, 2, 3])), 'BAD_FRAME_LENGTH');
  });

  it('refuses input after a failure: the stream cannot be resynchronized', () => {
    const dec = new FrameDecoder();
    expectThrows(() => dec.push(Buffer.from([0x80, 0, 0, 0])), 'BAD_FRAME_LENGTH');
    expectThrows(() => dec.push(frames[0]!), 'BAD_FRAME_LENGTH');
  });
});

describe('FrameDecoder keeps good frames that precede bad bytes', () => {
  it('returns the complete frames, records the error, and throws on the next push', () => {
    const dec = new FrameDecoder();
    const out = dec.push(Buffer.concat([frames[0]!, Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    expect(out).toHaveLength(1);
    expect(dec.error?.code).toBe('BAD_FRAME_LENGTH');
    expectThrows(() => dec.push(frames[1]!), 'BAD_FRAME_LENGTH');
  });
});
