/**
 * Child process of read-only-disk.test.ts: appends to a store on an ext4 filesystem mounted with
 * errors=remount-ro, makes the kernel take that filesystem read-only (trigger_fs_error), waits for
 * a flush to fail, then tries to append again. Prints one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';
import { MappedFile } from '../../src/store/mapped-file.js';

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
const body = Buffer.alloc(1000, 0x61);
// Queue Old is written, then the store restarted: its consume queue file is not mapped again until
// read (see MappedFile.map), which happens only once the filesystem has gone read-only.
const first = new DefaultMessageStore(cfg, { logger: log });
await first.start();
for (let i = 0; i < 50; i++) await first.putMessage({ topic: 'Old', queueId: 0, body });
await first.shutdown();
const store = new DefaultMessageStore(cfg, { logger: log });
await store.start();
// The same file, opened for writing before the filesystem goes read-only and mapped after it.
const oldFile = MappedFile.open(`${root}/consumequeue/Old/0/${'0'.repeat(20)}`, 0, cfg.mappedFileSizeConsumeQueue, { create: false, lazy: true });
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
/** Messages of queue 0 of `topic` a consumer can pull. */
function readable(topic: string): number {
  let n = 0;
  for (let off = 0; ; ) {
    const r = store.getMessage('g', topic, 0, off, 32);
    if (r.status !== 'FOUND') return n;
    n += r.messages.length;
    off = r.nextBeginOffset;
  }
}
const tReadable = readable('T');
const oldReadable = readable('Old');
// Writing into it must be refused before a store into a read-only mapping (a SIGSEGV) could happen.
let oldWrite = '';
try {
  oldFile.ensureBacked(20 * 50, 20);
  oldWrite = 'allowed';
} catch (e) {
  oldWrite = `${(e as { code?: string }).code}: ${(e as Error).message}`;
}
const oldFirstSize = oldFile.buffer.readInt32BE(8);
oldFile.close();
let shutdown = 'ok';
await store.shutdown().catch((e: Error) => (shutdown = e.message));
process.stdout.write(`${JSON.stringify({ acceptedAfter, refused, readable: tReadable, oldReadable, oldWrite, oldFirstSize, shutdown, logged: logged.length })}\n`);
