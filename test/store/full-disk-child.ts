/**
 * Child process of full-tmpfs.test.ts, run on a small tmpfs: `fill` appends 4 KiB messages with
 * keys until the store refuses one (after 1024 small ones to queue Q/0: the unit after its last starts
 * a page of its consume queue file never written); `reopen` starts the store again, reads every queue, looks up
 * keys that were never stored (their hash slots lie in pages never written) and tries one more
 * append. Prints one JSON line.
 */
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';

const [root, phase, mode] = [process.argv[2]!, process.argv[3]!, process.argv[4]];
const QUEUES = 4;
const cfg = storeConfig(
  new Map([
    ['storePathRootDir', root],
    ['mappedFileSizeCommitLog', String(1 << 20)],
    // A 20 MB sparse slot table on a 12 MB disk: most of its pages are never written.
    ['maxHashSlotNum', '5000000'],
    ['maxIndexNum', '20000'],
  ]),
);
const logged: string[] = [];
const log = { info: () => {}, warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
const store = new DefaultMessageStore(cfg, { logger: log, remoteDispatcher: mode === 'workers' ? new WorkerDispatcher() : undefined });
await store.start();
const refusal = (e: unknown): string => `${(e as { responseCode?: number }).responseCode}: ${(e as Error).message}`;
const out: Record<string, unknown> = { phase, abnormal: store.lastRecovery?.abnormal };
if (phase === 'fill') {
  for (let i = 0; i < 1024; i++) await store.putMessage({ topic: 'Q', queueId: 0, body: Buffer.from(`q${i}`) });
  const body = Buffer.alloc(4000, 0x61);
  let acked = 0;
  for (;;) {
    try {
      await store.putMessage({ topic: 'T', queueId: acked % QUEUES, body, properties: `KEYS\u0001k${acked}\u0002` });
      acked++;
    } catch (e) {
      out.refused = refusal(e);
      break;
    }
  }
  await store.whenDispatched(store.getMaxPhyOffset());
  out.acked = acked;
} else {
  let readable = 0;
  for (let q = 0; q < QUEUES; q++) {
    for (let off = 0; ; ) {
      const r = store.getMessage('g', 'T', q, off, 32);
      if (r.status !== 'FOUND') break;
      readable += r.messages.length;
      off = r.nextBeginOffset;
    }
  }
  out.readable = readable;
  out.q0 = store.getMessage('g', 'Q', 0, 1000, 32).messages.length;
  let found = 0;
  for (let i = 0; i < 3000; i++) found += (await store.queryMessage('T', `never-${i}`, 4, 0, Date.now())).messages.length;
  out.foundNever = found;
  out.foundStored = (await store.queryMessage('T', 'k0', 4, 0, Date.now())).messages.length;
  out.refused = await store.putMessage({ topic: 'T', queueId: 0, body: Buffer.alloc(4000) }).then((r) => r.status, refusal);
}
await store.shutdown().catch((e: Error) => (out.shutdown = e.message));
out.logged = logged;
process.stdout.write(`${JSON.stringify(out)}\n`);
