/**
 * Child process for the crash test: appends with many sends in flight and prints one line per
 * acknowledged message ("ACK <queueId> <queueOffset> <body>"), until killed.
 * Arguments: root, segment size, flushDiskType, transientStorePoolEnable.
 */
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';

const [root, segmentSize, flushDiskType, staged] = process.argv.slice(2);
const store = new DefaultMessageStore(
  storeConfig({
    storePathRootDir: root!,
    flushDiskType: flushDiskType as 'SYNC_FLUSH' | 'ASYNC_FLUSH',
    transientStorePoolEnable: staged === 'true',
    mappedFileSizeCommitLog: Number(segmentSize),
    mappedFileSizeConsumeQueue: 2000,
  }),
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
  }
}
for (let i = 0; i < 16; i++) void writer();
