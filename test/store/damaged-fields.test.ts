import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeMessage, parseHostAddress, storeConfig, type StoreConfig } from '../../src/store/index.js';
import { OFF_SYSFLAG, recordLayout } from '../../src/store/message-codec.js';
import { CHECK_CORRUPT, checkRecord } from '../../src/store/record-check.js';
import { ConsumeQueue } from '../../src/store/consume-queue.js';
import { ConsumeQueueTable } from '../../src/store/consume-queue-table.js';
import { tempDir } from '../helpers/store-paths.js';
import { scratchStores } from '../helpers/scratch-store.js';

/**
 * Record fields the CRC does not cover (it covers the body only), damaged one at a time: each
 * must make the record corrupt or be refused where it is used, never throw a RangeError or
 * reach the filesystem. The fuzz test (corruption-fuzz) finds these at random; these pin them.
 */

function record(): Buffer {
  const b = Buffer.alloc(512);
  const msg = { topic: 'T', queueId: 1, body: Buffer.from('hello'), properties: 'TAGS\u0001a' };
  const len = encodeMessage(b, 0, msg, 1, Buffer.byteLength(msg.properties), { queueOffset: 3, physicalOffset: 0, storeTimestamp: 1, storeHost: parseHostAddress('127.0.0.1:10911') });
  return b.subarray(0, len);
}

describe('a record with a damaged length field', () => {
  it('is valid as written', () => {
    const b = record();
    expect(checkRecord(b, 0, b.length, true, 1 << 20)).toBe(b.length);
  });

  it('is corrupt, not a RangeError, when its body length points past its end', () => {
    for (const bodyLen of [0x7fff0000, 0x10000, -1]) {
      const b = Buffer.from(record());
      b.writeInt32BE(bodyLen, recordLayout(b, 0).bodyLenAt);
      expect(checkRecord(b, 0, b.length, false, 1 << 20), String(bodyLen)).toBe(CHECK_CORRUPT);
    }
  });

  it('is corrupt when its flags claim IPv6 hosts its size has no room for', () => {
    const b = Buffer.from(record());
    b.writeInt32BE(0x30, OFF_SYSFLAG); // both host flags: 24 more bytes of header
    expect(checkRecord(b, 0, b.length, false, 1 << 20)).toBe(CHECK_CORRUPT);
  });
});

describe('dispatch of a record with a damaged queue field', () => {
  const open: { close(): void }[] = [];
  const dirs: (() => void)[] = [];
  afterEach(() => {
    for (const o of open.splice(0)) o.close();
    for (const c of dirs.splice(0)) c();
  });
  /** A store root removed after the test, with 10-unit consume queue files. */
  function root(): { dir: string; cfg: StoreConfig } {
    const t = tempDir();
    dirs.push(t.cleanup);
    return { dir: t.dir, cfg: storeConfig({ storePathRootDir: t.dir, mappedFileSizeConsumeQueue: 200 }) };
  }
  function queue(cfg: StoreConfig): ConsumeQueue {
    const cq = new ConsumeQueue(cfg, 'T', 0);
    open.push(cq.files);
    return cq;
  }

  it('refuses a queue offset whose gap no real records could fill, and writes no file for it', () => {
    const { dir, cfg } = root();
    const cq = queue(cfg);
    expect(cq.putEntry(0, 100, 0, 0)).toBe(true);
    expect(cq.putEntry(100, 100, 0, 1)).toBe(true);
    // Two records missing between 200 and 400 is possible (each at least ~91 bytes) ...
    expect(cq.putEntry(400, 100, 0, 4)).toBe(true);
    // ... a queue offset flipped to 2^33 is not: 8 billion records in 500 bytes.
    expect(cq.putEntry(1000, 100, 0, 2 ** 33)).toBe(false);
    expect(cq.maxOffsetInQueue).toBe(5);
    expect(readdirSync(join(dir, 'consumequeue/T/0'))).toEqual(['00000000000000000000']);
    // The queue goes on with the next real record.
    expect(cq.putEntry(1100, 100, 0, 5)).toBe(true);
    expect(cq.maxOffsetInQueue).toBe(6);
  });

  it('refuses a first queue offset larger than the records before it could number', () => {
    const { dir, cfg } = root();
    const cq = queue(cfg);
    expect(cq.putEntry(5000, 100, 0, 1_000_000)).toBe(false);
    expect(existsSync(join(dir, 'consumequeue/T/0'))).toBe(false);
    // A queue whose first files expired legitimately starts late: 40 records fit in 5000 bytes.
    expect(cq.putEntry(5000, 100, 0, 40)).toBe(true);
    expect(cq.minOffsetInQueue).toBe(40);
  });

  it('gives no queue to a topic that would name a directory outside the store', () => {
    const { dir, cfg } = root();
    const table = new ConsumeQueueTable(cfg);
    open.push(table);
    for (const topic of ['../../escape', 'a/b', '..', '', 'bad\u0000']) expect(table.queueFor(topic, 0), JSON.stringify(topic)).toBeNull();
    expect(table.queueFor('Fine', -1)).toBeNull();
    expect(table.queueFor('Fine', 0)).not.toBeNull();
    expect(existsSync(join(dir, '..', 'escape'))).toBe(false);
  });
});

describe('a consume queue unit with a damaged size', () => {
  const { cleanups, fresh, open } = scratchStores();

  it('counts as a gone record in time lookups, not a RangeError (fuzz seed 2129)', async () => {
    const s = await open(fresh({ mappedFileSizeCommitLog: 64 * 1024 }));
    cleanups.push(() => s.shutdown());
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await s.putMessage({ topic: 'T', queueId: 0, body: Buffer.from(`m${i}`) });
      times.push(s.getMessageStoreTimeStamp('T', 0, r.queueOffset!));
      await new Promise((done) => setTimeout(done, 3)); // distinct store times
    }
    // Unit 1 now claims a 5-byte record at the right offset: too short to hold a store time.
    s.consumeQueues.find('T', 0)!.files.last!.buffer.writeInt32BE(5, 1 * 20 + 8);
    expect(s.getMessageStoreTimeStamp('T', 0, 1)).toBe(-1);
    expect(s.getMessageStoreTimeStamp('T', 0, 2)).toBe(times[2]);
    for (const t of times) expect(s.getOffsetInQueueByTime('T', 0, t)).toBeGreaterThanOrEqual(0);
    expect(s.getOffsetInQueueByTime('T', 0, times[3]!)).toBe(3);
    // Unit 0 pointing at message 2's record: its time must not pass for message 0's.
    const units = s.consumeQueues.find('T', 0)!.files.last!.buffer;
    units.copy(units, 0, 40, 60);
    expect(s.getEarliestMessageTime('T', 0)).toBe(-1);
  });
});

describe('a consume queue unit pointing at another queue\'s record', () => {
  const { cleanups, fresh, open } = scratchStores();

  it('is not served, nor lends its store time, where another topic or queue has the same queue offset', async () => {
    const s = await open(fresh({ mappedFileSizeCommitLog: 64 * 1024 }));
    cleanups.push(() => s.shutdown());
    const a = await s.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('T/0 first') });
    const b = await s.putMessage({ topic: 'T', queueId: 1, body: Buffer.from('T/1 first') });
    const c = await s.putMessage({ topic: 'U', queueId: 0, body: Buffer.from('U/0 first') });
    expect([a.queueOffset, b.queueOffset, c.queueOffset]).toEqual([0, 0, 0]);
    const unit = s.consumeQueues.find('T', 0)!.files.last!.buffer;
    for (const other of [b, c]) {
      // A flipped offset landing on the other record's first byte: every length agrees, and so
      // does QUEUEOFFSET.
      unit.writeInt32BE(0, 0);
      unit.writeInt32BE(other.wroteOffset, 4);
      unit.writeInt32BE(other.wroteBytes, 8);
      const got = s.getMessage('g', 'T', 0, 0, 1);
      expect(got.messages).toHaveLength(0);
      expect(got.status).toBe('MESSAGE_WAS_REMOVING');
      expect(s.getMessageStoreTimeStamp('T', 0, 0)).toBe(-1);
    }
  });
});
