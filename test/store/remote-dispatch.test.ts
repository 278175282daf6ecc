import { afterEach, describe, expect, it } from 'vitest';
import { DefaultMessageStore, storeConfig, type StoreConfig } from '../../src/store/index.js';
import type { DispatchRequest, RemoteDispatcher } from '../../src/store/dispatch.js';
import { FLAG_HAS_KEYS, FLAG_HAS_UNIQ_KEY, FLAG_KEY_HASHES, KEY_COUNT_SHIFT, KEY_HASHES } from '../../src/store/remote-dispatch.js';
import { indexKeyHash } from '../../src/store/index-file.js';
import {
  DISPATCH_FLAG_HAS_KEYS,
  DISPATCH_FLAG_HAS_UNIQ_KEY,
  DISPATCH_FLAG_KEY_HASHES,
  DISPATCH_FLAG_TRANSACTION_MASK,
  DISPATCH_KEY_COUNT_SHIFT,
  keyHashCount,
  RING_KEY_HASHES,
} from '../../src/workers/messages.js';
import { tempDir } from '../helpers/store-paths.js';

/** A remote dispatcher that dispatches nothing but records what the store offers it. */
class RecordingDispatcher implements RemoteDispatcher {
  readonly offers: { offset: number; size: number; flags: number; hashes: number[] }[] = [];
  private end = 0;
  async start(_config: StoreConfig, fromOffset: number): Promise<void> {
    this.end = fromOffset;
  }
  registerTopic(): void {}
  offer(req: DispatchRequest, _topicId: number, flags: number, keyHashes?: Int32Array | null): undefined {
    this.offers.push({ offset: req.commitLogOffset, size: req.msgSize, flags, hashes: [...(keyHashes ?? []).slice(0, keyHashCount(flags))] });
    this.end = req.commitLogOffset + req.msgSize;
    return undefined;
  }
  publish(): void {}
  get dispatchedOffset(): number {
    return this.end;
  }
  async waitDispatchedPast(): Promise<boolean> {
    return true;
  }
  deleteTopic(): void {}
  async shutdown(): Promise<void> {}
  stats(): Record<string, number> {
    return {};
  }
}

describe('what the append path tells dispatch workers', () => {
  let cleanup = (): void => undefined;
  afterEach(() => cleanup());

  it('flags each record with its keys and transaction type, in the bits the workers read', async () => {
    // The store keeps its own copies of the flag values (it does not import src/workers).
    expect([FLAG_HAS_KEYS, FLAG_HAS_UNIQ_KEY, FLAG_KEY_HASHES, KEY_COUNT_SHIFT, KEY_HASHES]).toEqual([
      DISPATCH_FLAG_HAS_KEYS,
      DISPATCH_FLAG_HAS_UNIQ_KEY,
      DISPATCH_FLAG_KEY_HASHES,
      DISPATCH_KEY_COUNT_SHIFT,
      RING_KEY_HASHES,
    ]);
    const t = tempDir();
    cleanup = t.cleanup;
    const remote = new RecordingDispatcher();
    const store = new DefaultMessageStore(storeConfig({ storePathRootDir: t.dir }), { remoteDispatcher: remote });
    await store.start();
    const hashed = (n: number) => DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_KEY_HASHES | (n << DISPATCH_KEY_COUNT_SHIFT);
    const h = (key: string) => indexKeyHash('RD', key);
    const cases = [
      { properties: 'TAGS\u0001a\u0002KEYS\u0001k1 k2', sysFlag: 0, flags: hashed(2), hashes: [h('k1'), h('k2')] },
      { properties: 'UNIQ_KEY\u0001U1\u0002KEYS\u0001заказ-7', sysFlag: 0, flags: hashed(2), hashes: [h('U1'), h('заказ-7')] },
      { properties: 'UNIQ_KEY\u0001U2', sysFlag: 0x4, flags: hashed(1) | 0x4, hashes: [h('U2')] }, // prepared
      { properties: 'KEYS\u0001k3', sysFlag: 0xc, flags: hashed(1) | 0xc, hashes: [h('k3')] }, // rollback
      { properties: 'TAGS\u0001ü\u0002MYKEYS\u0001x', sysFlag: 0, flags: 0, hashes: [] },
      { properties: '', sysFlag: 0x8, flags: 0x8, hashes: [] }, // commit
      // More keys than a ring slot holds: the index worker reads them from the record.
      { properties: 'UNIQ_KEY\u0001U3\u0002KEYS\u0001a b c d', sysFlag: 0, flags: DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY, hashes: [] },
    ];
    for (const c of cases) await store.putMessage({ topic: 'RD', queueId: 0, body: Buffer.from('body'), properties: c.properties, sysFlag: c.sysFlag });
    expect(remote.offers.map((o) => o.flags)).toEqual(cases.map((c) => c.flags));
    expect(remote.offers.map((o) => o.hashes)).toEqual(cases.map((c) => c.hashes));
    const known = DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY | DISPATCH_FLAG_TRANSACTION_MASK | DISPATCH_FLAG_KEY_HASHES | (7 << DISPATCH_KEY_COUNT_SHIFT);
    for (const o of remote.offers) expect(o.flags & ~known).toBe(0);
    await store.shutdown();
  });
});
