import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, storeConfig } from '../../src/store/index.js';
import { MappedFileQueue } from '../../src/store/mapped-file-queue.js';
import { tempDir } from '../helpers/store-paths.js';

const SEG = 1 << 20;
/** The segment just below 4 GiB: records cross 2^32, where 32-bit arithmetic would break. */
const BASE = 2 ** 32 - SEG;
const quiet = { info() {}, warn() {}, error() {} };

function openStore(dir: string): DefaultMessageStore {
  const cfg = storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(SEG)], ['mappedFileSizeConsumeQueue', '6000'], ['maxHashSlotNum', '1024'], ['maxIndexNum', '8192']]));
  return new DefaultMessageStore(cfg, { storeHost: '127.0.0.1:10911', logger: quiet });
}

describe('commit log offsets go on where the files say', () => {
  it('a store whose only segment is empty (the rest expired) appends at that segment, across 2^32, and keeps going after a restart', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'commitlog'));
      writeFileSync(join(dir, 'commitlog', String(BASE).padStart(20, '0')), Buffer.alloc(SEG));
      let store = openStore(dir);
      await store.start();
      // The empty segment was deleted as "past the valid end", and appends started over at 0.
      expect(store.getMaxPhyOffset()).toBe(BASE);
      let last = { wroteOffset: 0, msgId: '' };
      for (let i = 0; i < 3000; i++) {
        const r = await store.putMessage({ topic: 'Big', queueId: i % 2, body: Buffer.from(`body-${i}-${'x'.repeat(500)}`), properties: `KEYS\u0001key-${i}` });
        expect(r.status).toBe('PUT_OK');
        if (i === 0) expect(r.wroteOffset).toBe(BASE);
        last = { wroteOffset: r.wroteOffset!, msgId: r.msgId! };
      }
      expect(last.wroteOffset).toBeGreaterThan(2 ** 32);
      expect(last.msgId).toBe(`7F00000100002A9F${last.wroteOffset.toString(16).toUpperCase().padStart(16, '0')}`);
      await store.shutdown();

      store = openStore(dir);
      await store.start();
      expect(store.getMinPhyOffset()).toBe(BASE);
      expect(store.getMaxOffsetInQueue('Big', 1)).toBe(1500);
      expect(store.lookMessageByOffsetMsgId(last.msgId)!.body.toString()).toMatch(/^body-2999-/);
      const q = await store.queryMessage('Big', 'key-2999', 10, 0, Date.now() + 1000);
      expect(q.messages.map((m) => decodeMessage(m, 0).body.toString().slice(0, 10))).toEqual(['body-2999-']);
      const next = await store.putMessage({ topic: 'Big', queueId: 0, body: Buffer.from('after') });
      expect(next.wroteOffset).toBe(store.getMaxPhyOffset() - (next.wroteBytes ?? 0));
      await store.shutdown();
      expect(readdirSync(join(dir, 'commitlog'))).toEqual([String(BASE).padStart(20, '0'), String(2 ** 32).padStart(20, '0')]);
    } finally {
      cleanup();
    }
  });

  it('truncating at a segment start keeps that segment, empty, and the queue goes on there', () => {
    const { dir, cleanup } = tempDir();
    try {
      const q = new MappedFileQueue(dir, 4096);
      const f = q.lastForWrite(8192);
      f.wrotePosition = 100;
      q.truncateFrom(8192);
      expect(q.files.map((x) => x.fileFromOffset)).toEqual([8192]);
      expect(q.maxWrotePosition).toBe(8192);
      expect(q.lastForWrite().fileFromOffset).toBe(8192);
      q.destroyAll();
    } finally {
      cleanup();
    }
  });
});
