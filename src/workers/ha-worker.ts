/**
 * Worker thread entry of WorkerHa: a master's HA server or a slave's HA client (src/store's
 * HaMasterServer and HaSlaveClient), with the sockets on this thread's event loop. The master
 * learns how far the commit log is readable from a shared cell; the slave hands each transfer to
 * the store's thread, which owns the commit log, and waits for it to be stored.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HaMasterServer } from '../store/ha-master.js';
import { HaSlaveClient } from '../store/ha-slave.js';
import { nameThisThread } from './thread-name.js';
import { HA_F64_READABLE, HA_SEQ, HA_STOP, type HaWorkerData, type HaWorkerToHost, type HostToHaWorker } from './messages.js';

const data = workerData as HaWorkerData;
const port = parentPort!;
const cells = new Int32Array(data.cells);
const readable = new Float64Array(data.cells);
const post = (m: HaWorkerToHost, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
const log = {
  info: (text: string) => post({ type: 'log', level: 'info', text }),
  warn: (text: string) => post({ type: 'log', level: 'warn', text }),
};
type WaitAsync = (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

let stop: () => Promise<void>;
const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

if (data.role === 'master') {
  nameThisThread('rmq-ha-master');
  const server = new HaMasterServer({
    ...data.start,
    readableEnd: () => readable[HA_F64_READABLE]!,
    onProgress: (ackOffset, slaves) => post({ type: 'progress', ackOffset, slaves }),
    log,
  });
  stop = () => server.close();
  server.start().then(
    (p) => {
      post({ type: 'listening', port: p });
      void follow(server);
    },
    (e: Error) => post({ type: 'failed', message: e.message }),
  );
} else {
  nameThisThread('rmq-ha-slave');
  let nextId = 1;
  const client = new HaSlaveClient({
    ...data.start,
    maxOffset: () => readable[HA_F64_READABLE]!,
    append: (offset, body) =>
      new Promise<void>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        post({ type: 'append', id, offset, body }, [body.buffer as ArrayBuffer]);
      }),
    log,
  });
  stop = async () => client.close();
  client.start();
  client.setMasterAddress(data.masterAddress);
  port.on('message', (m: HostToHaWorker) => {
    if (m.type === 'master-address') client.setMasterAddress(m.addr);
  });
}

/** Wakes the server each time the store publishes a new readable end. */
async function follow(server: HaMasterServer): Promise<void> {
  while (!Atomics.load(cells, HA_STOP)) {
    const seq = Atomics.load(cells, HA_SEQ);
    server.wake();
    const w = waitAsync(cells, HA_SEQ, seq);
    if (w.async) await w.value;
  }
}

port.on('message', (m: HostToHaWorker) => {
  if (m.type === 'stored' || m.type === 'store-failed') {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.type === 'stored') p?.resolve();
    else p?.reject(new Error(m.message));
  } else if (m.type === 'stop') {
    void stop().finally(() => {
      post({ type: 'stopped' });
      port.close();
    });
  }
});
