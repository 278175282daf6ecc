/**
 * Worker thread entry: consumes a dispatch ring and builds either the consume queues ('dispatch')
 * or the index ('index') from it, publishing its progress as the ring's dispatched offset. The
 * logic it runs (ConsumeQueueTable, IndexService) is the store's; this file is only the loop.
 *
 * The loop blocks in Atomics.wait while the ring is empty and yields to its own event loop every
 * few milliseconds so async fdatasync completions and timers still run.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { ConsumeQueueTable } from '../store/consume-queue-table.js';
import type { ConsumeQueue } from '../store/consume-queue.js';
import { IndexService } from '../store/index-service.js';
import { MappedFileQueue } from '../store/mapped-file-queue.js';
import { collectGarbage } from '../store/collect-garbage.js';
import { commitLogDir } from '../store/file-names.js';
import { isConsumable } from '../store/dispatch.js';
import { findIndexKeys, newIndexKeyRanges } from '../store/index-keys.js';
import { recordLayout } from '../store/message-codec.js';
import { RingConsumer } from './ring.js';
import { nameThisThread } from './thread-name.js';
import { DISPATCH_FLAG_HAS_KEYS, DISPATCH_FLAG_HAS_UNIQ_KEY, DISPATCH_FLAG_KEY_HASHES, keyHashCount, newDispatchFacts, WorkerState, WORKER_IDLE_WAIT_MS, type DispatchControl, type DispatchWorkerData, type DispatchWorkerEvent } from './messages.js';

const data = workerData as DispatchWorkerData;
nameThisThread(`rmq-${data.role}`);
const post = (e: DispatchWorkerEvent) => parentPort!.postMessage(e);
const consumer = new RingConsumer(data.ring);
const names: string[] = [];
for (const [id, name] of data.topics) names[id] = name;

const cfg = data.config;
const queues = data.role === 'dispatch' ? new ConsumeQueueTable(cfg) : null;
const index = data.role === 'index' ? new IndexService(cfg, { onIndexCheckpoint: (timestamp) => post({ type: 'index-checkpoint', timestamp }) }) : null;
const commitLog = data.role === 'index' ? new MappedFileQueue(commitLogDir(cfg), cfg.mappedFileSizeCommitLog, { readOnly: true, lazyMap: true }) : null;
for (const [topic, below] of data.deleted) queues?.deleteTopic(topic, below);
if (queues) {
  queues.load(() => {});
  queues.recover();
}
if (index) index.load(true, 0);
commitLog?.load();

/** Retention: the commit log's minimum offset as last announced; records below it are gone. */
let expiredBelow = 0;
/** Queues still to check for files below expiredBelow, taken one at a time between dispatch batches. */
let expiring: ConsumeQueue[] = [];
let nextExpiryAt = 0;
/** Whether the current round of expiring deleted files (their mappings are collected after it). */
let expiredAny = false;

function deleteExpired(minPhyOffset: number): void {
  if (minPhyOffset <= expiredBelow) return;
  expiredBelow = minPhyOffset;
  if (queues) expiring = [...queues.all()];
  if (index) {
    index.deleteExpired(minPhyOffset);
    // Deleted segments stay allocated on disk while mapped here.
    commitLog!.forgetBefore(minPhyOffset);
    collectionsDue = COLLECTIONS_AFTER_DELETE;
  }
}

/**
 * Mappings of deleted files go only when this thread's heap is collected (see collectGarbage),
 * and only once nothing refers to them: a flush may still hold a deleted index file. So a few
 * collections, a second apart, from the loop (where no frame of the deletion is left).
 */
const COLLECTIONS_AFTER_DELETE = 3;
let collectionsDue = 0;
let lastCollection = 0;

function collectIfDue(now: number): void {
  if (collectionsDue === 0 || now - lastCollection < 1000) return;
  collectionsDue--;
  lastCollection = now;
  collectGarbage();
}

/**
 * Deletes expired files of the next queues, pausing deleteConsumeQueueFilesInterval after one
 * that deleted files (as RocketMQ's CleanConsumeQueueService): dispatch goes on in between.
 */
function expireSome(now: number): void {
  if (expiring.length === 0 || now < nextExpiryAt) return;
  while (expiring.length > 0) {
    const cq = expiring.pop()!;
    if (queues!.find(cq.topic, cq.queueId) !== cq) continue; // its topic was deleted meanwhile
    if (cq.deleteExpiredFiles(expiredBelow, true) > 0) {
      expiredAny = true;
      nextExpiryAt = now + cfg.deleteConsumeQueueFilesInterval;
      if (expiring.length > 0) return;
    }
  }
  if (expiredAny) collectionsDue = COLLECTIONS_AFTER_DELETE;
  expiredAny = false;
}
deleteExpired(data.expiredBelow);

function control(): void {
  for (let m = receiveMessageOnPort(data.control); m; m = receiveMessageOnPort(data.control)) {
    const c = m.message as DispatchControl;
    if (c.type === 'topic-registered') names[c.topicId] = c.topic;
    else if (c.type === 'delete-topic') {
      queues?.deleteTopic(c.topic, c.appendedBelow);
      collectionsDue = COLLECTIONS_AFTER_DELETE;
    }
    else if (c.type === 'delete-expired') deleteExpired(c.minPhyOffset);
  }
}

function topicName(id: number): string {
  let name = names[id];
  while (name === undefined) {
    control();
    name = names[id];
    // The host posts the name before publishing the record; this only spins if the port lags.
    if (name === undefined) Atomics.wait(NAP, 0, 0, 1);
  }
  return name;
}

const NAP = new Int32Array(new SharedArrayBuffer(4));
/** Store time of the newest record dispatched (its unit written, not yet necessarily flushed). */
let lastStamp = 0;
const facts = newDispatchFacts();
const keyRanges = newIndexKeyRanges();

function dispatchOne(): void {
  if (queues) {
    const topic = topicName(facts.topicId);
    if (queues.isStale(topic, facts.phyOffset)) return;
    const cq = queues.queueFor(topic, facts.queueId);
    if (!cq || !isConsumable(facts.flags)) return;
    cq.putEntry(facts.phyOffset, facts.size, facts.tagsCode, facts.queueOffset);
    lastStamp = facts.storeTimestamp;
    return;
  }
  if (!(facts.flags & (DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY))) return;
  // Its segment was deleted while the record waited in the ring: nothing to index any more.
  if (facts.phyOffset < expiredBelow) return;
  if (facts.flags & DISPATCH_FLAG_KEY_HASHES) {
    index!.buildIndexFromHashes(facts.phyOffset, facts.storeTimestamp, facts.flags, facts.keyHashes, keyHashCount(facts.flags));
    return;
  }
  const f = commitLog!.catchUp(facts.phyOffset);
  if (!f) throw new Error(`commit log segment for offset ${facts.phyOffset} not found`);
  const b = f.buffer;
  const propsLenAt = recordLayout(b, facts.phyOffset - f.fileFromOffset).propsLenAt;
  findIndexKeys(b, propsLenAt + 2, propsLenAt + 2 + b.readInt16BE(propsLenAt), keyRanges);
  index!.buildIndexFromBytes(topicName(facts.topicId), facts.phyOffset, facts.storeTimestamp, facts.flags, b, keyRanges);
}

const yieldNow = () => new Promise<void>((r) => setImmediate(r));

async function flush(): Promise<void> {
  if (queues) {
    const stamp = lastStamp;
    await queues.flush();
    if (stamp > 0) post({ type: 'logics-checkpoint', timestamp: stamp });
  }
  if (index) await index.settle();
}

async function run(): Promise<void> {
  consumer.setWorkerState(WorkerState.RUNNING);
  post({ type: 'ready' });
  let lastYield = Date.now();
  let lastFlush = lastYield;
  let flushing: Promise<void> | null = null;
  for (;;) {
    control();
    const n = consumer.poll(1024);
    if (n > 0) {
      let end = 0;
      for (let i = 0; i < n; i++) {
        consumer.readInto(i, facts);
        dispatchOne();
        end = facts.phyOffset + facts.size;
      }
      consumer.commit(n, end);
    } else if (consumer.stopRequested) {
      break;
    }
    const now = Date.now();
    expireSome(now);
    if (!flushing && now - lastFlush >= cfg.flushIntervalConsumeQueue) {
      lastFlush = now;
      flushing = flush().finally(() => (flushing = null));
    }
    if (now - lastYield >= 5 || flushing) {
      lastYield = now;
      await yieldNow();
    }
    if (!flushing) collectIfDue(now);
    if (n === 0) consumer.waitForData(flushing ? 1 : WORKER_IDLE_WAIT_MS);
  }
  consumer.setWorkerState(WorkerState.DRAINING);
  if (flushing) await flushing;
  await flush();
  await index?.close();
  queues?.close();
  commitLog?.close();
  consumer.setWorkerState(WorkerState.STOPPED);
  post({ type: 'drained', dispatchedOffset: consumer.dispatchedOffset });
}

run().catch((e: unknown) => {
  consumer.setWorkerState(WorkerState.FAILED);
  post({ type: 'error', message: String(e), stack: e instanceof Error ? e.stack : undefined });
  // Exit non-zero so the host restarts this worker from the last committed record.
  setImmediate(() => { throw e; });
});
