import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, storeConfig, usesStagedWrites, type PutMessageResult } from '../../src/store/index.js';
import { scratchStores } from '../helpers/scratch-store.js';
import { queueBodies } from '../helpers/queue-bodies.js';
import { msg } from './conformance.js';

const { cleanups, fresh, open } = scratchStores({ transientStorePoolEnable: true });

const readAll = queueBodies;

describe('staged writes (transientStorePoolEnable, and SYNC_FLUSH)', () => {
  it('is on under SYNC_FLUSH or when asked for, off by default', () => {
    expect(usesStagedWrites(storeConfig({}))).toBe(false);
    expect(usesStagedWrites(storeConfig({ flushDiskType: 'SYNC_FLUSH' }))).toBe(true);
    expect(usesStagedWrites(storeConfig({ transientStorePoolEnable: true }))).toBe(true);
  });

  it('counts commit writes and their time in runtimeInfo, and shares one write among concurrent SYNC_FLUSH sends', async () => {
    const s = await open(fresh({ flushDiskType: 'SYNC_FLUSH', transientStorePoolEnable: false }));
    cleanups.push(() => s.shutdown());
    expect(s.runtimeInfo().commitLogCommitWrites).toBe('0');
    const puts = Array.from({ length: 32 }, (_, i) => s.putMessage(msg('T', i % 4, `m${i}`)));
    for (const r of await Promise.all(puts)) expect(r.status).toBe('PUT_OK');
    const writes = Number(s.runtimeInfo().commitLogCommitWrites);
    // Appended in one turn of the event loop: the first write takes them all (group commit).
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(32);
    expect(Number(s.runtimeInfo().commitLogCommitWriteMs)).toBeGreaterThan(0);
  });

  it('reports no commit writes for a store that appends into the mapping', async () => {
    const s = await open(fresh({ transientStorePoolEnable: false }));
    cleanups.push(() => s.shutdown());
    await s.putMessage(msg('T', 0, 'x'));
    expect(s.runtimeInfo().commitLogCommitWrites).toBeUndefined();
  });

  it('asks the page populator for pages only while commits fall behind the appends', async () => {
    const requests: number[] = [];
    const cfg = fresh({ mappedFileSizeCommitLog: 64 * 1024 * 1024 });
    const s = new DefaultMessageStore(cfg, {
      logger: { info() {}, warn() {}, error: (m) => console.error(m) },
      pagePopulator: { request: (_path, _from, upTo) => void requests.push(upTo), close: async () => undefined },
    });
    await s.start();
    cleanups.push(() => s.shutdown());
    const body = Buffer.alloc(1000, 1);
    // A trickle commits between appends: faulting pages in ahead would only steal a core.
    for (let i = 0; i < 50; i++) await s.putMessage({ ...msg('T', 0, ''), body });
    expect(await s.whenDispatched(s.commitLog.maxOffset)).toBe(true);
    expect(requests).toEqual([]);
    // A burst appended in one turn of the event loop outruns the commits: now it pays.
    const puts: Promise<PutMessageResult>[] = [];
    for (let i = 0; i < 4000; i++) puts.push(s.putMessage({ ...msg('T', 0, ''), body }));
    await Promise.all(puts);
    expect(requests.length).toBeGreaterThan(0);
    expect(Math.max(...requests)).toBeGreaterThan(3 * 1024 * 1024);
  });

  it('ASYNC_FLUSH acknowledges a record once staged; it is neither readable nor queued before it is in the file', async () => {
    const s = await open(fresh());
    cleanups.push(() => s.shutdown());
    const put = s.putMessage(msg('T', 0, 'first'));
    // The append happened synchronously; the commit has not (it needs a turn of the event loop).
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(0);
    expect(s.commitLog.getData(0, 10)).toBeNull();
    // Acknowledged from the staging buffer, as RocketMQ's transient store pool does: the send
    // does not wait for the commit's write(2).
    const r = await put;
    expect(r.status).toBe('PUT_OK');
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(0);
    expect(s.commitLog.getData(0, 10)).toBeNull();
    // whenDispatched covers staged records too: it waits for the commit.
    expect(await s.whenDispatched(s.commitLog.maxOffset)).toBe(true);
    expect(s.getMaxOffsetInQueue('T', 0)).toBe(1);
    expect(readAll(s, 'T', 0)).toEqual(['first']);
    // Through the file itself, not through any buffer of ours.
    const file = readFileSync(join(s.config.storePathRootDir, 'commitlog', '0'.repeat(20)));
    expect(decodeMessage(file, 0).body.toString()).toBe('first');
  });

  it('keeps commit-log order across segment rolls, staging buffers and records written straight into the mapping', async () => {
    const cfg = fresh({ mappedFileSizeCommitLog: 4 * 1024 * 1024, maxMessageSize: 2 * 1024 * 1024 });
    const s = await open(cfg);
    const expected: string[] = [];
    const puts: Promise<PutMessageResult>[] = [];
    for (let i = 0; i < 3000; i++) {
      // Every 500th body is larger than a staging buffer (1 MiB): it goes straight into the mapping.
      const body = i % 500 === 250 ? `big-${i}-` + 'x'.repeat(1_200_000) : `m-${i}-` + 'y'.repeat(i % 700);
      expected.push(body);
      puts.push(s.putMessage(msg('Order', 0, body)));
    }
    const results = await Promise.all(puts);
    expect(results.map((r) => r.queueOffset)).toEqual(expected.map((_, i) => i));
    expect(s.commitLog.queue.files.length).toBeGreaterThan(2);
    expect(await s.whenDispatched(s.commitLog.maxOffset)).toBe(true);
    expect(readAll(s, 'Order', 0)).toEqual(expected);
    await s.shutdown();
    const again = await open(cfg);
    cleanups.push(() => again.shutdown());
    expect(again.lastRecovery?.abnormal).toBe(false);
    expect(readAll(again, 'Order', 0)).toEqual(expected);
  });

  it('SYNC_FLUSH: acknowledgements wait for the commit and the flush, and recovery sees everything', async () => {
    const cfg = fresh({ flushDiskType: 'SYNC_FLUSH', transientStorePoolEnable: false, mappedFileSizeCommitLog: 8192 });
    const s = await open(cfg);
    const puts = Array.from({ length: 200 }, (_, i) => s.putMessage(msg('S', i % 2, `s-${i}`)));
    const results = await Promise.all(puts);
    expect(results.every((r) => r.status === 'PUT_OK')).toBe(true);
    expect(s.commitLog.queue.maxFlushedPosition).toBe(s.commitLog.maxOffset);
    await s.shutdown();
    const again = await open(cfg);
    cleanups.push(() => again.shutdown());
    expect(readAll(again, 'S', 0)).toHaveLength(100);
    expect(readAll(again, 'S', 1)).toHaveLength(100);
  });
});
