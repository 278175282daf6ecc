import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreConfig } from './config.js';
import type { MessageArrivingListener } from './types.js';
import { ConsumeQueue } from './consume-queue.js';
import { consumeQueueRootDir, isSafeTopicDir } from './file-names.js';
import { isConsumable, type DispatchRequest, type Dispatcher } from './dispatch.js';

/**
 * Every ConsumeQueue of the store, by topic and queue id, and the dispatcher that fills them.
 * Dispatch is idempotent (units already present are skipped), which is what lets recovery simply
 * re-dispatch the commit log tail.
 */
export class ConsumeQueueTable implements Dispatcher {
  private readonly cfg: StoreConfig;
  private readonly table = new Map<string, ConsumeQueue[]>();
  listener: MessageArrivingListener | null = null;
  /** Store time of the newest dispatched record (checkpoint's logicsMsgTimestamp). */
  lastDispatchedTimestamp = 0;
  /**
   * Deleted topics -> the commit log end when they were deleted. Records appended before a delete
   * may still be on their way here (held for a SYNC_FLUSH write, or in a worker's ring); written
   * after the delete they would bring deleted messages back at the queue offsets new ones take.
   */
  private readonly deletedBelow = new Map<string, number>();

  constructor(cfg: StoreConfig) {
    this.cfg = cfg;
  }

  find(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.table.get(topic)?.[queueId];
  }

  /**
   * The queue a dispatched record goes to, or null when its topic or queue id cannot be real:
   * dispatch after recovery reads them from the record, where the CRC does not cover them, and a
   * damaged topic must not name a directory outside the store.
   */
  queueFor(topic: string, queueId: number): ConsumeQueue | null {
    const cq = this.table.get(topic)?.[queueId];
    if (cq) return cq;
    if (!isSafeTopicDir(topic) || !Number.isInteger(queueId) || queueId < 0) return null;
    return this.findOrCreate(topic, queueId);
  }

  findOrCreate(topic: string, queueId: number): ConsumeQueue {
    let arr = this.table.get(topic);
    if (!arr) this.table.set(topic, (arr = []));
    let cq = arr[queueId];
    if (!cq) arr[queueId] = cq = new ConsumeQueue(this.cfg, topic, queueId);
    return cq;
  }

  queueIds(topic: string): number[] {
    const arr = this.table.get(topic);
    const ids: number[] = [];
    arr?.forEach((cq, id) => cq && ids.push(id));
    return ids;
  }

  topics(): string[] {
    return [...this.table.keys()];
  }

  *all(): Generator<ConsumeQueue> {
    for (const arr of this.table.values()) for (const cq of arr) if (cq) yield cq;
  }

  /** Maps every queue under the consume queue root. Unexpected entries are skipped with a warning. */
  load(warn: (m: string) => void): void {
    const root = consumeQueueRootDir(this.cfg);
    if (!existsSync(root)) return;
    for (const topic of readdirSync(root)) {
      const tdir = join(root, topic);
      if (!statSync(tdir).isDirectory()) continue;
      for (const q of readdirSync(tdir)) {
        if (!/^\d+$/.test(q)) {
          warn(`ignoring ${join(tdir, q)}: not a queue directory`);
          continue;
        }
        this.findOrCreate(topic, Number(q)).load();
      }
    }
  }

  recover(): void {
    for (const cq of this.all()) cq.recover();
  }

  /** End of the newest record any queue references (-1 when none). */
  maxPhysicOffset(): number {
    let max = -1;
    for (const cq of this.all()) max = Math.max(max, cq.maxPhysicOffset);
    return max;
  }

  truncateDirty(phyOffset: number): void {
    for (const cq of this.all()) cq.truncateDirty(phyOffset);
  }

  correctMinOffsets(minPhyOffset: number): void {
    for (const cq of this.all()) cq.correctMinOffset(minPhyOffset);
  }

  /**
   * Whether a record of `topic` at `phyOffset` was appended before the topic was deleted. Records
   * arrive in commit log order, so the first one past the delete point ends the check.
   */
  isStale(topic: string, phyOffset: number): boolean {
    if (this.deletedBelow.size === 0) return false;
    const below = this.deletedBelow.get(topic);
    if (below === undefined) return false;
    if (phyOffset < below) return true;
    this.deletedBelow.delete(topic);
    return false;
  }

  /** Topics deleted while records appended before may still be dispatched: [topic, commit log end]. */
  get tombstones(): Array<[string, number]> {
    return [...this.deletedBelow];
  }

  dispatch(req: DispatchRequest): void {
    if (this.isStale(req.topic, req.commitLogOffset)) return;
    const cq = this.queueFor(req.topic, req.queueId);
    if (!cq || !isConsumable(req.sysFlag)) return;
    if (!cq.putEntry(req.commitLogOffset, req.msgSize, req.tagsCode, req.consumeQueueOffset)) return;
    this.lastDispatchedTimestamp = req.storeTimestamp;
    this.listener?.(req.topic, req.queueId, req.consumeQueueOffset + 1, req.tagsCode);
  }

  async flush(): Promise<void> {
    const pending: Promise<number>[] = [];
    for (const cq of this.all()) if (cq.files.unflushedBytes > 0) pending.push(cq.flush());
    await Promise.all(pending);
  }

  /** Forgets a topic's queues without touching files (their writer deletes them). */
  forgetTopic(topic: string): void {
    for (const cq of this.table.get(topic) ?? []) cq?.files.close();
    this.table.delete(topic);
  }

  /** Deletes a topic's queues; records appended before `appendedBelow` are dropped if they still arrive. */
  deleteTopic(topic: string, appendedBelow = 0): void {
    if (appendedBelow > 0) this.deletedBelow.set(topic, appendedBelow);
    const arr = this.table.get(topic);
    if (!arr) return;
    for (const cq of arr) cq?.destroy();
    this.table.delete(topic);
    rmSync(join(consumeQueueRootDir(this.cfg), topic), { recursive: true, force: true });
  }

  close(): void {
    for (const cq of this.all()) cq.files.close();
  }
}
