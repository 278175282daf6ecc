import { DefaultMessageStore, MemoryMessageStore, storeConfig, type PutMessageResult, type StoreConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { conformanceSuite } from './conformance.js';
import { tempDir } from '../helpers/store-paths.js';

/**
 * For stores that make a record readable shortly after acknowledging it (dispatch in workers, as
 * RocketMQ's reput; staged writes under ASYNC_FLUSH, as its transient store pool): the suite's
 * read-your-writes expectations hold once that has happened, so this waits for it after every append.
 */
function readYourWrites(s: DefaultMessageStore): DefaultMessageStore {
  return new Proxy(s, {
    get(target, prop, receiver) {
      if (prop === 'putMessage' || prop === 'putMessages') {
        return async (arg: never) => {
          const r = await (target[prop] as (a: never) => Promise<PutMessageResult>).call(target, arg);
          await target.whenDispatched(r.wroteOffset + r.wroteBytes);
          return r;
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function fileStore(base: Partial<StoreConfig>) {
  return () => {
    const t = tempDir();
    return {
      async open(overrides = {}) {
        const s = new DefaultMessageStore(storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 2000, ...base, ...overrides }));
        await s.start();
        return s.commitLog.staged ? readYourWrites(s) : s;
      },
      async cleanup() {
        t.cleanup();
      },
    };
  };
}

conformanceSuite('DefaultMessageStore (files)', fileStore({}));
/** Appends through staging buffers and write(2): a send resolves once staged, readable once committed. */
conformanceSuite('DefaultMessageStore (staged writes)', fileStore({ transientStorePoolEnable: true }));

conformanceSuite('MemoryMessageStore', () => ({
  async open(overrides = {}) {
    const s = new MemoryMessageStore(storeConfig(overrides));
    await s.start();
    return s;
  },
  async cleanup() {},
}));

/** Dispatch in worker threads: consume queues and the index are built off the append path. */
const inWorkers = (base: Partial<StoreConfig>) => () => {
  const t = tempDir();
  return {
    async open(overrides = {}) {
      const s = new DefaultMessageStore(storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 2000, dispatchRingSlots: 64, ...base, ...overrides }), {
        remoteDispatcher: new WorkerDispatcher({ onError: (m) => console.error(m) }),
      });
      await s.start();
      return readYourWrites(s);
    },
    async cleanup() {
      t.cleanup();
    },
  };
};
conformanceSuite('DefaultMessageStore (dispatch in workers)', inWorkers({}));
conformanceSuite('DefaultMessageStore (staged writes, dispatch in workers)', inWorkers({ transientStorePoolEnable: true }));
