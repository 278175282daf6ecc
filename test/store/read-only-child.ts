/**
 * Child process of read-only-disk.test.ts: appends to a store on an ext4 filesystem mounted with
 * errors=remount-ro, makes the kernel take that filesystem read-only (trigger_fs_error), waits for
 * a flush to fail, then tries to append again. Prints one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';

const [root, trigger, flushDiskType, transientStorePoolEnable] = process.argv.slice(2) as [string, string, string, string];
const cfg = storeConfig(
  new Map([
    ['storePathRootDir', root],
    ['mappedFileSizeCommitLog', String(4 << 20)],
    ['flushIntervalCommitLog', '20'],
    ['flushCommitLogLeastPages', '0'],
    ['flushDiskType', flushDiskType],
    ['transientStorePoolEnable', transientStorePoolEnable],
  ]),
);
const logged: string[] = [];
const log = { info: () => {}, warn: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
const store = new DefaultMessageStore(cfg, { logger: log });
await store.start();
const body = Buffer.alloc(1000, 0x61);
for (let i = 0; i < 100; i++) await store.putMessage({ topic: 'T', queueId: 0, body });
await new Promise((r) => setTimeout(r, 200));
writeFileSync(trigger, '1');
let acceptedAfter = 0;
let refused = '';
const deadline = Date.now() + 5000;
while (!refused && Date.now() < deadline) {
  try {
    await store.putMessage({ topic: 'T', queueId: 0, body });
    acceptedAfter++;
    await new Promise((r) => setTimeout(r, 10));
  } catch (e) {
    refused = `${(e as { responseCode?: number }).responseCode}: ${(e as Error).message}`;
  }
}
let readable = 0;
for (let off = 0; ; ) {
  const r = store.getMessage('g', 'T', 0, off, 32);
  if (r.status !== 'FOUND') break;
  readable += r.messages.length;
  off = r.nextBeginOffset;
}
let shutdown = 'ok';
await store.shutdown().catch((e: Error) => (shutdown = e.message));
process.stdout.write(`${JSON.stringify({ acceptedAfter, refused, readable, shutdown, logged: logged.length })}\n`);
