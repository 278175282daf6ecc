import { afterEach, describe, expect, it } from 'vitest';
import { DefaultMessageStore, storeConfig, type StoreConfig } from '../../src/store/index.js';
import type { DispatchRequest, RemoteDispatcher } from '../../src/store/dispatch.js';
import { FLAG_HAS_KEYS, FLAG_HAS_UNIQ_KEY } from '../../src/store/remote-dispatch.js';
import { DISPATCH_FLAG_HAS_KEYS, DISPATCH_FLAG_HAS_UNIQ_KEY, DISPATCH_FLAG_TRANSACTION_MASK } from '../../src/workers/messages.js';
import { tempDir } from '../helpers/store-paths.js';

/** A remote dispatcher that dispatches nothing but records what the store offers it. */
class RecordingDispatcher implements RemoteDispatcher {
  readonly offers: { offset: number; size: number; flags: number }[] = [];
  private end = 0;
  async start(_config: StoreConfig, fromOffset: number): Promise<void> {
    this.end = fromOffset;
  }
  registerTopic(): void {}
  offer(req: DispatchRequest, _topicId: number, flags: number): undefined {
    this.offers.push({ offset: req.commitLogOffset, size: req.msgSize, flags });
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
    expect([FLAG_HAS_KEYS, FLAG_HAS_UNIQ_KEY]).toEqual([DISPATCH_FLAG_HAS_KEYS, DISPATCH_FLAG_HAS_UNIQ_KEY]);
    const t = tempDir();
    cleanup = t.cleanup;
    const remote = new RecordingDispatcher();
    const store = new DefaultMessageStore(storeConfig({ storePathRootDir: t.dir }), { remoteDispatcher: remote });
    await store.start();
    const cases = [
      { properties: 'TAGS\u0001a\u0002KEYS\u0001k1 k2', sysFlag: 0, flags: DISPATCH_FLAG_HAS_KEYS },
      { properties: 'UNIQ_KEY\u0001U1\u0002KEYS\u0001заказ-7', sysFlag: 0, flags: DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY },
      { properties: 'UNIQ_KEY\u0001U2', sysFlag: 0x4, flags: DISPATCH_FLAG_HAS_UNIQ_KEY | 0x4 }, // prepared
      { properties: 'KEYS\u0001k3', sysFlag: 0xc, flags: DISPATCH_FLAG_HAS_KEYS | 0xc }, // rollback
      { properties: 'TAGS\u0001ü\u0002MYKEYS\u0001x', sysFlag: 0, flags: 0 },
      { properties: '', sysFlag: 0x8, flags: 0x8 }, // commit
    ];
    for (const c of cases) await store.putMessage({ topic: 'RD', queueId: 0, body: Buffer.from('body'), properties: c.properties, sysFlag: c.sysFlag });
    expect(remote.offers.map((o) => o.flags)).toEqual(cases.map((c) => c.flags));
    for (const o of remote.offers) expect(o.flags & ~(DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY | DISPATCH_FLAG_TRANSACTION_MASK)).toBe(0);
    await store.shutdown();
  });
});
