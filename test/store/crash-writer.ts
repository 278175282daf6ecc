/**
 * Child process for the crash test: appends with many sends in flight and prints one line per
 * acknowledged message ("ACK <queueId> <queueOffset> <body>"), until killed.
 * Arguments: root, segment size, flushDiskType, transientStorePoolEnable, dispatch in workers.
 */
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';

const [root, segmentSize, flushDiskType, staged, workers] = process.argv.slice(2);
const store = new DefaultMessageStore(
  storeConfig({
    storePathRootDir: root!,
    flushDiskType: flushDiskType as 'SYNC_FLUSH' | 'ASYNC_FLUSH',
    transientStorePoolEnable: staged === 'true',
    mappedFileSizeCommitLog: Number(segmentSize),
    mappedFileSizeConsumeQueue: 2000,
    // Short intervals, so the kill can land in the middle of flushes and checkpoint writes.
    flushIntervalCommitLog: 20,
    flushIntervalConsumeQueue: 20,
  }),
  { remoteDispatcher: workers === 'true' ? new WorkerDispatcher() : undefined },
);
await store.start();
process.stdout.write('READY\n');
let seq = 0;
async function writer(): Promise<void> {
  for (;;) {
    const n = seq++;
    const body = `crash-${n}-` + 'p'.repeat(n % 200);
    const r = await store.putMessage({ topic: 'Crash', queueId: n % 4, body: Buffer.from(body), properties: `KEYS\u0001k${n}` });
    if (r.status === 'PUT_OK') process.stdout.write(`ACK ${n % 4} ${r.queueOffset} ${body}\n`);
    // As a broker does between socket reads: without it, appends acknowledged at once (ASYNC_FLUSH
    // into the mapping) would keep the event loop in microtasks and no flush would ever run.
    if (n % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
for (let i = 0; i < 16; i++) void writer();
