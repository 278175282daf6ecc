/**
 * Child process of open-files.test.ts, run under a low open-files limit: appends one message to
 * each of many queues with inline dispatch, then prints what it saw as one JSON line.
 */
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';

const [root, queues] = [process.argv[2]!, Number(process.argv[3])];
const errors: string[] = [];
const cfg = storeConfig(new Map([['storePathRootDir', root], ['mappedFileSizeCommitLog', String(1 << 20)], ['mappedFileSizeConsumeQueue', '600']]));
const log = { info: () => {}, debug: () => {}, warn: (m: string) => errors.push(m), error: (m: string) => errors.push(m) };
const store = new DefaultMessageStore(cfg, { logger: log });
await store.start();
let acked = 0;
let refused = '';
for (let q = 0; q < queues; q++) {
  try {
    const r = await store.putMessage({ topic: `Q${q % 50}`, queueId: Math.floor(q / 50), body: Buffer.from(`m${q}`) });
    if (r.status === 'PUT_OK') acked++;
  } catch (e) {
    refused ||= `${(e as { responseCode?: number }).responseCode}: ${(e as Error).message}`;
  }
}
// A queue it already has: appended to whatever happened to new ones.
let known = '';
try {
  known = (await store.putMessage({ topic: 'Q0', queueId: 0, body: Buffer.from('known') })).status;
} catch (e) {
  known = (e as Error).message;
}
if (known === 'PUT_OK') acked++;
// Closing may fail too (syncing a new file's directory needs a descriptor): it says so, and still closes.
let shutdown = 'ok';
await store.shutdown().catch((e: Error) => (shutdown = e.message));
process.stdout.write(`${JSON.stringify({ acked, refused, known, errors, shutdown })}\n`);
