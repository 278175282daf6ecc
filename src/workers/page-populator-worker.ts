/**
 * Worker thread entry of WorkerPagePopulator: waits for the writer's target, populates the current
 * commit log segment up to it through its own read-only mapping, one 1 MiB madvise at a time.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { takeFile } from '../store/file-budget.js';
import { mmap } from '../store/mmap.js';
import { nameThisThread } from './thread-name.js';
import { P_DONE_PAGES, P_GEN, P_REQ_PAGES, P_SEQ, P_STOP, type PopulatorFile } from './messages.js';

const { cells, control } = workerData as { cells: Int32Array; control: MessagePort };
nameThisThread('rmq-populator');
const MADV_POPULATE_READ = 22;
const CHUNK_PAGES = 256;

let gen = 0;
let buf: Buffer | null = null;
let pages = 0;
let done = 0;

function openFile(f: PopulatorFile): void {
  gen = f.gen;
  buf = null;
  done = 0;
  try {
    takeFile(f.path, { descriptor: false });
    const fd = openSync(f.path, 'r');
    const size = fstatSync(fd).size;
    buf = mmap.map(size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0);
    closeSync(fd);
    pages = Math.floor(size / 4096);
  } catch {
    buf = null; // gone, not sized yet, or no mappings to spare: the writer will fault on its own
  }
  Atomics.store(cells, P_DONE_PAGES, 0);
}

for (;;) {
  const seq = Atomics.load(cells, P_SEQ);
  if (Atomics.load(cells, P_STOP)) break;
  const wantGen = Atomics.load(cells, P_GEN);
  while (gen !== wantGen) {
    const m = receiveMessageOnPort(control);
    if (!m) break;
    openFile(m.message as PopulatorFile);
  }
  const target = Math.min(Atomics.load(cells, P_REQ_PAGES), pages);
  if (buf && gen === wantGen && done < target) {
    const end = Math.min(target, done + CHUNK_PAGES);
    try {
      mmap.advise(buf, done * 4096, (end - done) * 4096, MADV_POPULATE_READ as 0);
    } catch (e) {
      // A kernel without MADV_POPULATE_READ: nothing this thread can do. Anything else (the
      // file truncated, tmpfs full) only spoils this segment: skip it; the writer backs its own
      // pages and reports what cannot be backed.
      if (/failed, 22$/.test((e as Error).message)) break;
      buf = null;
      continue;
    }
    done = end;
    Atomics.store(cells, P_DONE_PAGES, done);
    continue;
  }
  Atomics.wait(cells, P_SEQ, seq, 100);
}
