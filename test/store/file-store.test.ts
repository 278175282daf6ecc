import { describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, StoreError, storeConfig, type StoreConfig } from '../../src/store/index.js';
import { copyRocketMqStore, FIXTURES, tempDir } from '../helpers/store-paths.js';
import { msg } from './conformance.js';
import { scratchStores } from '../helpers/scratch-store.js';

const { cleanups, fresh, open } = scratchStores();

const bodies = (s: DefaultMessageStore, topic: string, q: number, from = 0) =>
  s.getMessage('g', topic, q, from, 1000).messages.map((b) => decodeMessage(b, 0).body.toString());

function readAll(s: DefaultMessageStore, topic: string, q: number): string[] {
  const out: string[] = [];
  for (let off = 0; ; ) {
    const r = s.getMessage('g', topic, q, off, 1000);
    if (r.status !== 'FOUND' && r.status !== 'NO_MATCHED_MESSAGE') return out;
    out.push(...r.messages.map((b) => decodeMessage(b, 0).body.toString()));
    off = r.nextBeginOffset;
  }
}

describe('store written by Apache RocketMQ 4.9', () => {
  interface Fx {
    messages: { body: string; stored: { commitLogOffset: number; queueId: number; queueOffset: number; propertiesAsStored: Record<string, string> } }[];
    consumeQueues: Record<string, { commitLogOffset: number; size: number; tagsCode: number }[]>;
  }
  const fx = JSON.parse(readFileSync(join(FIXTURES, 'rocketmq-4.9-store.json'), 'utf8')) as Fx;

  it('opens, recovers and returns every message, offset, tag code and property as recorded', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const root = copyRocketMqStore(t.dir);
    const cqBefore = readFileSync(join(root, 'consumequeue/FixtureTopic/2/00000000000000000000'));
    const cfg = storeConfig({ storePathRootDir: root, mappedFileSizeCommitLog: 1048576, mappedFileSizeConsumeQueue: 6000, maxHashSlotNum: 64, maxIndexNum: 256 });
    const s = await open(cfg, '127.0.0.1:20911');
    cleanups.push(() => s.shutdown());
    expect(s.lastRecovery).toMatchObject({ abnormal: false, validEnd: 6432 });
    for (const [q, units] of Object.entries(fx.consumeQueues)) {
      const r = s.getMessage('g', 'FixtureTopic', Number(q), 0, 32);
      expect(r.status).toBe('FOUND');
      expect(r.maxOffset).toBe(units.length);
      expect(r.messages.map((b) => decodeMessage(b, 0).commitLogOffset)).toEqual(units.map((u) => u.commitLogOffset));
      for (let i = 0; i < units.length; i++) {
        const m = decodeMessage(r.messages[i]!, 0);
        const want = fx.messages.find((x) => x.stored.commitLogOffset === units[i]!.commitLogOffset)!;
        expect(m.queueOffset).toBe(i);
        expect(m.properties).toEqual(want.stored.propertiesAsStored);
        expect(units[i]!.tagsCode).toBe(want.stored.propertiesAsStored.TAGS ? (await import('../../src/store/index.js')).javaStringHashCode(want.stored.propertiesAsStored.TAGS) : 0);
        expect(s.getCommitLogOffsetInQueue('FixtureTopic', Number(q), i)).toBe(units[i]!.commitLogOffset);
      }
    }
    // Recovery trusted RocketMQ's consume queue bytes and rewrote nothing.
    expect(readFileSync(join(root, 'consumequeue/FixtureTopic/2/00000000000000000000')).equals(cqBefore)).toBe(true);
    // RocketMQ's own index answers key queries.
    const q = await s.queryMessage('FixtureTopic', 'key-7', 32, 0, Date.now());
    expect(q.messages.map((b) => decodeMessage(b, 0).body.toString())).toEqual(['fixture-body-7']);
    // New appends continue RocketMQ's offsets.
    const r = await s.putMessage(msg('FixtureTopic', 2, 'ours'));
    expect([r.wroteOffset, r.queueOffset]).toEqual([6432, 6]);
  });
});

describe('segments and restarts', () => {
  it('rolls across many tiny segments with BLANK markers and reads everything back after restart', async () => {
    const cfg = fresh();
    let s = await open(cfg);
    const sent: string[] = [];
    for (let i = 0; i < 300; i++) {
      const body = `m${i}-` + 'x'.repeat(i % 50);
      sent.push(body);
      await s.putMessage(msg('T', 0, body, { TAGS: 'A' }));
    }
    const files = readdirSync(join(cfg.storePathRootDir, 'commitlog')).filter((n) => /^\d{20}$/.test(n)).sort();
    expect(files.length).toBeGreaterThan(5);
    // Every finished segment ends with [remaining][BLANK magic] right after its last record.
    const first = readFileSync(join(cfg.storePathRootDir, 'commitlog', files[0]!));
    let p = 0;
    while (first.readInt32BE(p + 4) !== (0xcbd43194 | 0)) p += first.readInt32BE(p);
    expect(first.readInt32BE(p)).toBe(4096 - p);
    expect(readAll(s, 'T', 0)).toEqual(sent);
    await s.shutdown();
    expect(existsSync(join(cfg.storePathRootDir, 'abort'))).toBe(false);
    s = await open(cfg);
    expect(s.lastRecovery?.abnormal).toBe(false);
    expect(readAll(s, 'T', 0)).toEqual(sent);
    const r = await s.putMessage(msg('T', 0, 'after-restart'));
    expect(r.queueOffset).toBe(300);
    await s.shutdown();
  });

  it('after a restart populates pages from the write position on, never over stored records', async () => {
    const cfg = fresh({ mappedFileSizeCommitLog: 1 << 20 });
    let s = await open(cfg);
    for (let i = 0; i < 20; i++) await s.putMessage(msg('T', 0, 'y'.repeat(1000)));
    await s.shutdown();
    s = await open(cfg);
    const last = s.commitLog.queue.last!;
    expect(last.wrotePosition).toBeGreaterThan(8192);
    expect(last.populatedTo).toBe(Math.floor(last.wrotePosition / 4096) * 4096);
    await s.putMessage(msg('T', 0, 'after'));
    expect(last.populatedTo).toBeGreaterThan(last.wrotePosition);
    expect(readAll(s, 'T', 0)).toHaveLength(21);
    await s.shutdown();
  });

  it('after a crash (abort marker left) re-dispatches lost queue units from the checkpoint', async () => {
    const cfg = fresh();
    const s = await open(cfg);
    for (let i = 0; i < 50; i++) await s.putMessage(msg('T', i % 2, `m${i}`));
    await s.shutdown();
    writeFileSync(join(cfg.storePathRootDir, 'abort'), '');
    rmSync(join(cfg.storePathRootDir, 'consumequeue'), { recursive: true });
    const s2 = await open(cfg);
    expect(s2.lastRecovery?.abnormal).toBe(true);
    expect(readAll(s2, 'T', 0).length).toBe(25);
    expect(readAll(s2, 'T', 1).length).toBe(25);
    await s2.shutdown();
  });
});

describe('recovery from damaged files', () => {
  async function written(n: number): Promise<{ cfg: StoreConfig; offsets: number[] }> {
    const cfg = fresh({ mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 2000 });
    const s = await open(cfg);
    const offsets: number[] = [];
    for (let i = 0; i < n; i++) offsets.push((await s.putMessage(msg('T', 0, `m${i}`, { KEYS: `k${i}` }))).wroteOffset);
    await s.shutdown();
    return { cfg, offsets };
  }
  const segment = (cfg: StoreConfig) => join(cfg.storePathRootDir, 'commitlog', '00000000000000000000');

  it('a segment that cannot back a page (here truncated behind the store; a full disk alike) fails appends, not the process', async () => {
    // Without populating first, the first store into such a page is a SIGBUS: this test's
    // worker would die instead of failing an assertion.
    const cfg = fresh({ mappedFileSizeCommitLog: 4 << 20, mappedFileSizeConsumeQueue: 6000 });
    const s = await open(cfg);
    const body = 'z'.repeat(1000);
    let acked = 0;
    for (; acked < 10; acked++) await s.putMessage(msg('T', 0, body));
    truncateSync(segment(cfg), 2 << 20);
    let error: unknown;
    try {
      for (; acked < 5000; acked++) await s.putMessage(msg('T', 0, body));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('SERVICE_NOT_AVAILABLE');
    expect((error as StoreError).responseCode).toBe(14);
    expect((error as StoreError).message).toMatch(/cannot back .*00000000000000000000/);
    expect(acked).toBeGreaterThan(500); // up to the truncation point, less one populate chunk
    expect(readAll(s, 'T', 0)).toHaveLength(acked);
    // Refused again, still cleanly.
    await expect(s.putMessage(msg('T', 0, body))).rejects.toThrow(/cannot back/);
    await s.shutdown();
  });

  it('a consume queue or index page that cannot be backed stops appends (as RocketMQ does), not the process', async () => {
    for (const target of ['consumequeue', 'index'] as const) {
      const cfg = fresh({ mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 20_000, maxHashSlotNum: 1000, maxIndexNum: 4000 });
      const errors: string[] = [];
      const s = new DefaultMessageStore(cfg, { logger: { info() {}, warn() {}, error: (m) => errors.push(m) } });
      await s.start();
      let acked = 0;
      for (; acked < 10; acked++) await s.putMessage(msg('T', 0, 'x'.repeat(100), { KEYS: `k${acked}` }));
      // Truncated behind the store, past pages already in use: a full disk fails the same way.
      const dir = join(cfg.storePathRootDir, target === 'consumequeue' ? 'consumequeue/T/0' : 'index');
      truncateSync(join(dir, readdirSync(dir)[0]!), 16384);
      let refused: unknown;
      try {
        for (; acked < 2000; acked++) await s.putMessage(msg('T', 0, 'x'.repeat(100), { KEYS: `k${acked}` }));
      } catch (e) {
        refused = e;
      }
      expect(refused, target).toMatchObject({ code: 'DISPATCH_FAILED', responseCode: 14 });
      expect(String((refused as StoreError).cause), target).toMatch(/cannot back/);
      expect(errors.some((m) => m.includes('appends are refused until restart')), target).toBe(true);
      // The append that met the failure was acknowledged: its record is in the commit log. Its
      // unit is missing only when the consume queue was what failed (rebuilt at the next start).
      expect(s.getMaxOffsetInQueue('T', 0), target).toBe(target === 'consumequeue' ? acked - 1 : acked);
      await expect(s.putMessage(msg('T', 1, 'y')), target).rejects.toMatchObject({ code: 'DISPATCH_FAILED' });
      await s.shutdown();
    }
  });

  it('a corrupted body CRC in the middle of the last file ends the log there; appends continue consistently', async () => {
    const { cfg, offsets } = await written(20);
    const buf = readFileSync(segment(cfg));
    const bodyAt = offsets[10]! + 84 + 4; // first body byte of message 10
    buf[bodyAt] ^= 0xff;
    writeFileSync(segment(cfg), buf);
    const s = await open(cfg);
    expect(s.lastRecovery?.validEnd).toBe(offsets[10]);
    expect(readAll(s, 'T', 0)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    expect((await s.queryMessage('T', 'k15', 32, 0, Date.now() + 1000)).messages.length).toBe(0);
    const r = await s.putMessage(msg('T', 0, 'next'));
    expect([r.wroteOffset, r.queueOffset]).toEqual([offsets[10], 10]);
    expect(readAll(s, 'T', 0).at(-1)).toBe('next');
    await s.shutdown();
  });

  it('a commit log file of the wrong size is refused and left untouched', async () => {
    const { cfg } = await written(5);
    truncateSync(segment(cfg), 1000);
    const before = readFileSync(segment(cfg));
    const err = await open(cfg).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('FILE_SIZE_MISMATCH');
    expect((err as Error).message).toContain('00000000000000000000');
    expect(readFileSync(segment(cfg)).equals(before)).toBe(true);
  });

  it('a crash while creating a segment leaves nothing the next start refuses', async () => {
    const { cfg } = await written(5);
    const dir = join(cfg.storePathRootDir, 'commitlog');
    // What a kill between creating and sizing the next segment left before creation was atomic,
    // and what a kill during today's creation leaves: a hidden, unrenamed temporary.
    const emptyTail = join(dir, String(64 * 1024).padStart(20, '0'));
    const temp = join(dir, `.${String(128 * 1024).padStart(20, '0')}.new`);
    writeFileSync(emptyTail, '');
    writeFileSync(temp, '');
    writeFileSync(join(cfg.storePathRootDir, 'abort'), '');
    const warnings: string[] = [];
    const s = new DefaultMessageStore(cfg, { logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => console.error(m) } });
    await s.start();
    cleanups.push(() => s.shutdown());
    expect(warnings.some((w) => w.includes(emptyTail) && w.includes('empty last segment'))).toBe(true);
    expect(existsSync(temp)).toBe(false);
    expect(readAll(s, 'T', 0)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect((await s.putMessage(msg('T', 0, 'after'))).queueOffset).toBe(5);
    expect(readdirSync(dir).filter((n) => !n.startsWith('.'))).toEqual(['00000000000000000000']);
  });

  it('an empty segment that is not the last is refused', async () => {
    const cfg = fresh({ mappedFileSizeCommitLog: 4096 });
    const s = await open(cfg);
    for (let i = 0; i < 20; i++) await s.putMessage(msg('T', 0, 'x'.repeat(500)));
    await s.shutdown();
    const first = join(cfg.storePathRootDir, 'commitlog', '00000000000000000000');
    truncateSync(first, 0);
    await expect(open(cfg)).rejects.toMatchObject({ code: 'FILE_SIZE_MISMATCH' });
  });

  it('drops consume queue units that point past the end of the commit log', async () => {
    const { cfg, offsets } = await written(10);
    const cq = join(cfg.storePathRootDir, 'consumequeue/T/0/00000000000000000000');
    const buf = readFileSync(cq);
    // Forge units 10..12 pointing beyond the log's end.
    for (let i = 10; i < 13; i++) {
      buf.writeUInt32BE(0, i * 20);
      buf.writeUInt32BE(offsets[9]! + 1000 * i, i * 20 + 4);
      buf.writeInt32BE(100, i * 20 + 8);
    }
    writeFileSync(cq, buf);
    const s = await open(cfg);
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(10);
    expect((await s.putMessage(msg('T', 0, 'm10'))).queueOffset).toBe(10);
    expect(readAll(s, 'T', 0)).toEqual(Array.from({ length: 11 }, (_, i) => `m${i}`));
    await s.shutdown();
  });

  it('rebuilds a missing consume queue from the commit log', async () => {
    const { cfg } = await written(12);
    rmSync(join(cfg.storePathRootDir, 'consumequeue/T/0'), { recursive: true });
    const s = await open(cfg);
    expect(readAll(s, 'T', 0)).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));
    await s.shutdown();
  });

  it('gives schedule topic units the delivery time as tag code, on append and when rebuilt', async () => {
    const cfg = fresh({ mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 2000, messageDelayLevel: '1s 5s 10s' });
    const s = await open(cfg);
    const stored = 1_700_000_000_000;
    for (const level of ['3', '9']) {
      // Level 9 is past the highest configured level: RocketMQ clamps it to level 3 (10 s).
      await s.putMessage({ topic: 'SCHEDULE_TOPIC_XXXX', queueId: 2, body: Buffer.from('later'), storeTimestamp: stored, properties: `TAGS\u0001a\u0002DELAY\u0001${level}\u0002REAL_TOPIC\u0001T\u0002REAL_QID\u00010` });
    }
    await s.shutdown();
    const cqDir = join(cfg.storePathRootDir, 'consumequeue/SCHEDULE_TOPIC_XXXX/2');
    const tagCodes = () => {
      const cq = readFileSync(join(cqDir, '00000000000000000000'));
      return [cq.readBigInt64BE(12), cq.readBigInt64BE(32)];
    };
    expect(tagCodes()).toEqual([BigInt(stored + 10_000), BigInt(stored + 10_000)]);
    rmSync(cqDir, { recursive: true });
    writeFileSync(join(cfg.storePathRootDir, 'abort'), '');
    const again = await open(cfg);
    expect(again.lastRecovery?.abnormal).toBe(true);
    await again.shutdown();
    expect(tagCodes()).toEqual([BigInt(stored + 10_000), BigInt(stored + 10_000)]);
  });

  it('refuses a directory that is not a store, touching nothing', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    writeFileSync(join(t.dir, 'notes.txt'), 'my files');
    const err = await open(storeConfig({ storePathRootDir: t.dir })).catch((e: unknown) => e);
    expect((err as StoreError).code).toBe('NOT_A_STORE');
    expect(readdirSync(t.dir)).toEqual(['notes.txt']);

    const cfg = fresh();
    mkdirSync(join(cfg.storePathRootDir, 'commitlog'), { recursive: true });
    writeFileSync(join(cfg.storePathRootDir, 'commitlog', 'README'), 'x');
    const err2 = await open(cfg).catch((e: unknown) => e);
    expect((err2 as StoreError).code).toBe('NOT_A_STORE');
    expect((err2 as Error).message).toContain('README');

    const f = join(t.dir, 'plainfile');
    appendFileSync(f, 'x');
    const err3 = await open(storeConfig({ storePathRootDir: f })).catch((e: unknown) => e);
    expect((err3 as StoreError).code).toBe('NOT_A_STORE');
    expect(statSync(f).size).toBe(1);
  });

  it('a checkpoint file of the wrong size makes a crash recovery from the first segment, rebuilding the index', async () => {
    const { cfg, offsets } = await written(3000);
    expect(offsets.at(-1)!).toBeGreaterThan(4 * 64 * 1024); // more segments than a clean start checks
    const cp = join(cfg.storePathRootDir, 'checkpoint');
    writeFileSync(cp, 'short');
    const warnings: string[] = [];
    const s = new DefaultMessageStore(cfg, { logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => console.error(m) } });
    await s.start();
    cleanups.push(() => s.shutdown());
    expect(warnings.some((w) => w.includes(cp) && w.includes('5 bytes') && w.includes('first segment'))).toBe(true);
    expect(s.lastRecovery).toMatchObject({ abnormal: true, redispatched: 3000 });
    expect(statSync(cp).size).toBe(4096);
    expect(readAll(s, 'T', 0)).toEqual(offsets.map((_, i) => `m${i}`));
    // Index files were dropped (their times are unknown) and rebuilt from the first record on.
    for (const k of ['k0', 'k1499', 'k2999']) {
      const q = await s.queryMessage('T', k, 8, 0, Date.now() + 1000);
      expect(q.messages.map((b) => decodeMessage(b, 0).body.toString())).toEqual([`m${k.slice(1)}`]);
    }
    await s.shutdown();
    const again = await open(cfg);
    cleanups.push(() => again.shutdown());
    expect(again.lastRecovery?.abnormal).toBe(false);
    expect(readAll(again, 'T', 0).length).toBe(3000);
  });
});

describe('flush modes', () => {
  it('SYNC_FLUSH acknowledges only flushed data and groups concurrent sends into few flushes', async () => {
    const cfg = fresh({ flushDiskType: 'SYNC_FLUSH', mappedFileSizeCommitLog: 1024 * 1024 });
    const s = await open(cfg);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => s.putMessage(msg('T', i % 4, `m${i}`))));
    expect(results.every((r) => r.status === 'PUT_OK')).toBe(true);
    expect(s.commitLog.queue.maxFlushedPosition).toBeGreaterThanOrEqual(results.at(-1)!.wroteOffset + results.at(-1)!.wroteBytes);
    // Group commit: far fewer fdatasyncs than sends.
    const flushes = (s as unknown as { flusher: { flushCount: number } }).flusher.flushCount;
    expect(flushes).toBeLessThan(50);
    await s.shutdown();
  });
});

describe('topic names', () => {
  it('are checked on every append of a bad name, and the names kept for speed stay bounded', async () => {
    const s = await open(fresh());
    cleanups.push(() => s.shutdown());
    for (let k = 0; k < 2; k++) {
      for (const bad of ['a/b', '..', '', 'x'.repeat(128)]) {
        await expect(s.putMessage(msg(bad, 0, 'no'))).rejects.toMatchObject({ code: 'MESSAGE_ILLEGAL' });
      }
      await expect(s.putMessages([msg('c\\d', 0, 'no')])).rejects.toMatchObject({ code: 'MESSAGE_ILLEGAL' });
    }
    await expect(s.putMessage({ ...msg('T', 0, 'no'), topic: 42 as unknown as string })).rejects.toMatchObject({ code: 'MESSAGE_ILLEGAL' });
    // More distinct topics than the cache holds: every one is still stored and read under its name.
    for (let i = 0; i < 4100; i++) await s.putMessage(msg(`Topic-${i}`, 0, `m${i}`));
    expect(bodies(s, 'Topic-0', 0)).toEqual(['m0']);
    expect(bodies(s, 'Topic-4099', 0)).toEqual(['m4099']);
    expect(s.getMaxOffsetInQueue('Topic-4097', 0)).toBe(1);
  });
});
