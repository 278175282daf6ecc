import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { PagePopulator } from '../store/page-populator.js';
import { P_DONE_PAGES, P_GEN, P_REQ_PAGES, P_SEQ, P_STOP, POPULATOR_CELLS, type PopulatorFile } from './messages.js';

const WORKER_URL = new URL('./page-populator-worker.js', import.meta.url);

/**
 * Keeps commit log pages populated ahead of the writer from a thread of its own, so the page
 * allocation a first touch costs (much of an append's time on a VM) leaves the event loop. The
 * writer publishes how far it wants pages ready in a SharedArrayBuffer cell; the thread maps the
 * segment read-only and calls madvise(MADV_POPULATE_READ) up to there. It never writes, so it can
 * never race the writer; if it falls behind, the writer just takes ordinary faults.
 */
export class WorkerPagePopulator implements PagePopulator {
  private readonly cells = new Int32Array(new SharedArrayBuffer(POPULATOR_CELLS * 4));
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private currentFile = -1;
  private gen = 0;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_URL, { workerData: { cells: this.cells, control: port2 }, transferList: [port2] });
    this.worker.unref();
    // A failed populator only costs speed; never let it take the process down.
    this.worker.on('error', () => undefined);
  }

  request(path: string, fileFromOffset: number, upTo: number): void {
    if (fileFromOffset !== this.currentFile) {
      this.currentFile = fileFromOffset;
      const file: PopulatorFile = { gen: ++this.gen, path };
      this.port.postMessage(file);
      Atomics.store(this.cells, P_GEN, this.gen);
    }
    Atomics.store(this.cells, P_REQ_PAGES, Math.ceil(upTo / 4096));
    Atomics.add(this.cells, P_SEQ, 1);
    Atomics.notify(this.cells, P_SEQ);
  }

  /** Pages of the current segment known populated (for tests and stats). */
  get donePages(): number {
    return Atomics.load(this.cells, P_DONE_PAGES);
  }

  async close(): Promise<void> {
    Atomics.store(this.cells, P_STOP, 1);
    Atomics.add(this.cells, P_SEQ, 1);
    Atomics.notify(this.cells, P_SEQ);
    await this.worker.terminate();
    this.port.close();
  }
}
