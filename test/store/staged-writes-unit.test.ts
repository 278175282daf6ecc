import { describe, expect, it } from 'vitest';
import type { MappedFile } from '../../src/store/mapped-file.js';
import { StagedWrites } from '../../src/store/staged-writes.js';

type WriteCb = (err: Error | null, written: number) => void;

/** A segment whose writes complete only when the test says so (or fail when told to). */
class FakeSegment {
  readonly path = '/fake/00000000000000000000';
  readonly fileFromOffset: number;
  readonly buffer: Buffer;
  readonly fileSize: number;
  staged = false;
  committedPosition = 0;
  wrotePosition = 0;
  /** What reached "the file" through writeAt, by position. */
  readonly disk: Buffer;
  readonly inFlight: { pos: number; bytes: Buffer; cb: WriteCb }[] = [];
  failNext = 0;
  failWith = 'ENOSPC';

  constructor(fileFromOffset: number, size: number) {
    this.fileFromOffset = fileFromOffset;
    this.fileSize = size;
    this.buffer = Buffer.alloc(size);
    this.disk = this.buffer; // a shared mapping: written bytes show up in it
  }

  /** What the writer asked to have backed before writing into the mapping (upTo offsets). */
  readonly prefaults: number[] = [];
  prefault(upTo: number): void {
    this.prefaults.push(upTo);
  }

  writeAt(parts: Buffer[], pos: number, _durable: boolean, cb: WriteCb): void {
    this.inFlight.push({ pos, bytes: Buffer.concat(parts), cb });
  }

  /** Completes the oldest write (or fails it when failNext > 0); `short`: only that many bytes reach the file. */
  complete(short?: number): void {
    const w = this.inFlight.shift()!;
    if (this.failNext > 0) {
      this.failNext--;
      w.cb(Object.assign(new Error(`${this.failWith}: the write failed`), { code: this.failWith }), 0);
      return;
    }
    const bytes = w.bytes.subarray(0, short ?? w.bytes.length);
    bytes.copy(this.disk, w.pos);
    w.cb(null, bytes.length);
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Appends `len` bytes of `fill` the way CommitLog does: reserve, encode, advance, move the write position. */
function append(sw: StagedWrites, seg: FakeSegment, len: number, fill: number): void {
  sw.reserve(seg as unknown as MappedFile, len);
  sw.buf.fill(fill, sw.pos, sw.pos + len);
  sw.advance(len);
  seg.wrotePosition += len;
}

describe('StagedWrites', () => {
  it('commits in order, one write in flight, and resolves waiters only once their bytes are in the file', async () => {
    const committed: number[] = [];
    const sw = new StagedWrites({ onCommitted: (o) => committed.push(o), onError: () => undefined, durable: false });
    const seg = new FakeSegment(0, 1 << 20);
    append(sw, seg, 100, 1);
    let done = false;
    void sw.whenCommitted(100).then(() => (done = true));
    await turn();
    expect(seg.inFlight).toHaveLength(1);
    append(sw, seg, 50, 2); // staged while the first write is in flight
    await turn();
    expect(seg.inFlight).toHaveLength(1); // never two writes at once
    expect(done).toBe(false);
    expect(seg.committedPosition).toBe(0);
    seg.complete();
    await turn();
    expect(done).toBe(true);
    expect(seg.committedPosition).toBe(100);
    expect(seg.inFlight).toHaveLength(1); // the second write follows at once
    seg.complete();
    expect(committed).toEqual([100, 150]);
    expect(seg.disk.subarray(0, 150)).toEqual(Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(50, 2)]));
  });

  it('keeps the bytes staged and retries after a failed write, reporting the error with its cause', async () => {
    const errors: Error[] = [];
    const sw = new StagedWrites({ onCommitted: () => undefined, onError: (e) => errors.push(e), durable: false });
    const seg = new FakeSegment(0, 1 << 20);
    seg.failNext = 1;
    append(sw, seg, 64, 7);
    const acked = sw.whenCommitted(64);
    await turn();
    seg.complete(); // fails
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/commit to .* failed, retrying/);
    expect((errors[0]!.cause as Error).message).toMatch(/ENOSPC/);
    await new Promise((r) => setTimeout(r, 150)); // the retry timer
    expect(seg.inFlight).toHaveLength(1);
    seg.complete();
    await acked;
    expect(seg.disk.subarray(0, 64)).toEqual(Buffer.alloc(64, 7));
    sw.stop();
  });

  it('stops after a write fails with EIO or EROFS: waiters are rejected, nothing is retried, the failure stays', async () => {
    for (const errno of ['EIO', 'EROFS']) {
      const errors: Error[] = [];
      const sw = new StagedWrites({ onCommitted: () => undefined, onError: (e) => errors.push(e), durable: true });
      const seg = new FakeSegment(0, 1 << 20);
      seg.failNext = 1;
      seg.failWith = errno;
      append(sw, seg, 64, 7);
      const acked = sw.whenCommitted(64);
      await turn();
      seg.complete(); // fails for good
      await expect(acked).rejects.toThrow(`commits to the commit log fail (${errno}): appends are refused until restart`);
      expect(sw.failure?.responseCode).toBe(14);
      expect(errors).toEqual([sw.failure]);
      await expect(sw.whenCommitted(64)).rejects.toBe(sw.failure);
      append(sw, seg, 64, 8); // what an append that raced the failure would do
      await new Promise((r) => setTimeout(r, 150)); // a retry timer would have fired
      expect(seg.inFlight).toHaveLength(0);
      sw.stop();
    }
  });

  it('writes a group that straddles two staging buffers in one write, and a short write commits its prefix', async () => {
    const commits: number[] = [];
    const sw = new StagedWrites({ onCommitted: (o) => commits.push(o), onError: () => undefined, durable: true });
    const seg = new FakeSegment(0, 8 << 20);
    const chunk = 1 << 20;
    const at = chunk - 400; // the first buffer has 400 bytes left
    append(sw, seg, at, 1);
    await turn();
    seg.complete();
    await turn();
    // A group of three 300-byte records: the first takes the first buffer's end, two go to a second.
    for (let i = 0; i < 3; i++) append(sw, seg, 300, 2 + i);
    const acked = sw.whenCommitted(at + 900);
    expect(sw.stagedChunks).toBe(2);
    await turn();
    expect(seg.inFlight).toHaveLength(1); // one write for the whole group, not one per buffer
    expect(seg.inFlight[0]!.pos).toBe(at);
    expect(seg.inFlight[0]!.bytes.length).toBe(900);
    seg.complete(50); // the disk took only 50 bytes: committed stops there, the rest follows
    await turn();
    expect(seg.committedPosition).toBe(at + 50);
    expect(commits.at(-1)).toBe(at + 50);
    expect(seg.inFlight).toHaveLength(1);
    expect(seg.inFlight[0]!.pos).toBe(at + 50);
    expect(seg.inFlight[0]!.bytes.length).toBe(850); // again across both buffers
    seg.complete();
    await acked;
    expect(commits.at(-1)).toBe(at + 900);
    for (let i = 0; i < 3; i++) expect(seg.disk.subarray(at + i * 300, at + i * 300 + 300)).toEqual(Buffer.alloc(300, 2 + i));
    await turn();
    expect(sw.stagedChunks).toBe(1); // the first buffer is released once committed
    sw.stop();
  });

  it('past the staging cap writes straight into the mapping, still committing in order', async () => {
    const sw = new StagedWrites({ onCommitted: () => undefined, onError: () => undefined, durable: false });
    const seg = new FakeSegment(0, 64 << 20);
    const chunk = 1 << 20;
    // 32 staging buffers of 1 MiB fill up while the first write never completes.
    for (let i = 0; i < 33; i++) append(sw, seg, chunk, i + 1);
    await turn();
    expect(sw.stagedChunks).toBe(33);
    // The 33rd went straight into the mapping (visible there already), but is not committed.
    expect(seg.buffer[32 * chunk]).toBe(33);
    expect(seg.committedPosition).toBe(0);
    const all = sw.whenCommitted(33 * chunk);
    let writes = 0;
    while (seg.inFlight.length > 0) {
      seg.complete();
      writes++;
      await turn();
    }
    await all;
    expect(writes).toBe(32);
    expect(seg.committedPosition).toBe(33 * chunk);
    for (let i = 0; i < 33; i++) expect(seg.disk[i * chunk + 5]).toBe(i + 1);
  });

  it('is behind while commits trail by more than two chunks, until the backlog has drained to one', async () => {
    const sw = new StagedWrites({ onCommitted: () => undefined, onError: () => undefined, durable: false });
    const seg = new FakeSegment(0, 16 << 20);
    const chunk = 1 << 20;
    append(sw, seg, chunk, 1);
    append(sw, seg, chunk, 2);
    expect(sw.isBehind()).toBe(false);
    append(sw, seg, chunk, 3);
    expect(sw.isBehind()).toBe(true);
    await turn();
    seg.complete(); // 2 chunks left: still behind (no flapping at the threshold)
    await turn();
    expect(sw.stagedChunks).toBe(2);
    expect(sw.isBehind()).toBe(true);
    seg.complete();
    await turn();
    expect(sw.stagedChunks).toBe(1);
    expect(sw.isBehind()).toBe(false);
    seg.complete();
  });

  it('backs the mapping before a batch that may not find staging room, and before each write into it', async () => {
    const sw = new StagedWrites({ onCommitted: () => undefined, onError: () => undefined, durable: false });
    const seg = new FakeSegment(0, 64 << 20);
    const chunk = 1 << 20;
    sw.ensureBacked(seg as unknown as MappedFile, 2 * chunk);
    expect(seg.prefaults).toEqual([]); // plenty of staging left
    for (let i = 0; i < 30; i++) append(sw, seg, chunk, 1); // commits never complete
    expect(seg.prefaults).toEqual([]);
    sw.ensureBacked(seg as unknown as MappedFile, 2 * chunk);
    expect(seg.prefaults).toEqual([32 * chunk]);
    append(sw, seg, chunk, 2);
    append(sw, seg, chunk, 3);
    append(sw, seg, chunk, 4); // the 33rd chunk: no staging left, into the mapping
    expect(seg.prefaults).toEqual([32 * chunk, 33 * chunk]);
  });
});
