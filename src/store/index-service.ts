import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreConfig } from './config.js';
import { indexDir, indexFileName } from './file-names.js';
import { IndexFile, indexKeyHash, indexKeyHashFrom, indexKeyPrefixHash } from './index-file.js';
import { indexKeyHashFromBytes, type IndexKeyRanges } from './index-keys.js';
import { IndexQueryPool, queryIndexFiles, queryIndexFilesAsync, type QueryOffsetResult } from './index-query-pool.js';
import { makeDirs } from './make-dirs.js';

/** RocketMQ's sysflag transaction bits; a rollback record is never indexed. */
const TRANSACTION_MASK = 0xc;
const TRANSACTION_ROLLBACK = 0xc;
const KEY_SEPARATOR = 0x20;
const INDEX_FILE_NAME = /^\d{17}$/;

export interface IndexServiceOptions {
  /**
   * Called with a full file's end timestamp once that file is flushed: RocketMQ's index
   * checkpoint time (`indexMsgTimestamp`), which the store writes to its checkpoint file.
   */
  onIndexCheckpoint?: (indexMsgTimestamp: number) => void;
  /** Clock for new file names (tests). */
  now?: () => number;
  /** A shared pool for multi-file queries; by default the service makes its own when first needed. */
  queryPool?: IndexQueryPool;
}

/**
 * The index directory: IndexFiles named by creation time (oldest first), the last one written.
 * Builds entries for one dispatched record at a time (RocketMQ's IndexService.buildIndex), rolls
 * to a new file when the last is full, answers key queries newest file first, drops files wholly
 * below the commit log's minimum offset, and after a crash forgets what the checkpoint does not
 * cover and entries past the valid commit log end. Not thread-safe: one owning thread.
 */
export class IndexService {
  private files: IndexFile[] = [];
  private readonly dir: string;
  private readonly prefixes = new Map<string, number>();
  private background: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private pool: IndexQueryPool | null = null;
  private closed = false;

  constructor(
    private readonly cfg: StoreConfig,
    private readonly opts: IndexServiceOptions = {},
  ) {
    this.dir = indexDir(cfg);
  }

  /** Paths of the index files, oldest first. */
  get paths(): string[] {
    return this.files.map((f) => f.path);
  }

  /** End offset of the newest file: records below it are already indexed (0 = none). */
  get endPhyOffset(): number {
    return this.files.at(-1)?.endPhyOffset ?? 0;
  }

  get endTimestamp(): number {
    return this.files.at(-1)?.endTimestamp ?? 0;
  }

  /**
   * Opens the files in the index directory. After a crash (`lastExitOK` false) a file whose end
   * time is past the checkpoint's index time may be incomplete on disk and is deleted, as RocketMQ
   * does; recovery must then re-dispatch from `endPhyOffset` (see buildIndex's skip rule).
   */
  load(lastExitOK: boolean, indexCheckpointTimestamp: number): void {
    if (!existsSync(this.dir)) return;
    const names = readdirSync(this.dir).filter((n) => INDEX_FILE_NAME.test(n)).sort();
    for (const name of names) {
      const f = IndexFile.open(join(this.dir, name), this.cfg.maxHashSlotNum, this.cfg.maxIndexNum);
      if (!lastExitOK && f.endTimestamp > indexCheckpointTimestamp) f.destroy();
      else this.files.push(f);
    }
  }

  /**
   * Indexes one record: its UNIQ_KEY, then each non-empty space-separated KEYS entry, each as
   * `topic#key`. Skips rollback records and records below the newest file's end offset (already
   * indexed before a restart). Only the transaction bits (0xC) of `sysFlag` are read, so the
   * ring's flags work too. Allocation-free apart from a topic's first prefix hash.
   */
  buildIndex(topic: string, phyOffset: number, storeTimestamp: number, sysFlag: number, keys: string | null, uniqKey: string | null): void {
    if (!this.cfg.messageIndexEnable) return;
    const file = this.writableFile();
    if (phyOffset < file.endPhyOffset) return;
    if ((sysFlag & TRANSACTION_MASK) === TRANSACTION_ROLLBACK) return;
    const prefix = this.prefixHash(topic);
    if (uniqKey) this.put(indexKeyHashFrom(prefix, uniqKey), phyOffset, storeTimestamp);
    if (!keys) return;
    let start = 0;
    for (let i = 0; i <= keys.length; i++) {
      if (i < keys.length && keys.charCodeAt(i) !== KEY_SEPARATOR) continue;
      if (i > start) this.put(indexKeyHashFrom(prefix, keys, start, i), phyOffset, storeTimestamp);
      start = i + 1;
    }
  }

  /**
   * buildIndex for keys still in a record's bytes (`r` from findIndexKeys over `b`): what an index
   * worker that maps the commit log calls, hashing without strings. Non-ASCII keys are decoded.
   */
  buildIndexFromBytes(topic: string, phyOffset: number, storeTimestamp: number, sysFlag: number, b: Buffer, r: IndexKeyRanges): void {
    if (!r.ascii) {
      const keys = r.keysStart < 0 ? null : b.toString('utf8', r.keysStart, r.keysEnd);
      const uniq = r.uniqStart < 0 ? null : b.toString('utf8', r.uniqStart, r.uniqEnd);
      this.buildIndex(topic, phyOffset, storeTimestamp, sysFlag, keys, uniq);
      return;
    }
    if (!this.cfg.messageIndexEnable) return;
    const file = this.writableFile();
    if (phyOffset < file.endPhyOffset) return;
    if ((sysFlag & TRANSACTION_MASK) === TRANSACTION_ROLLBACK) return;
    const prefix = this.prefixHash(topic);
    if (r.uniqEnd > r.uniqStart) this.put(indexKeyHashFromBytes(prefix, b, r.uniqStart, r.uniqEnd), phyOffset, storeTimestamp);
    let start = r.keysStart;
    for (let i = start; i >= 0 && i <= r.keysEnd; i++) {
      if (i < r.keysEnd && b[i] !== KEY_SEPARATOR) continue;
      if (i > start) this.put(indexKeyHashFromBytes(prefix, b, start, i), phyOffset, storeTimestamp);
      start = i + 1;
    }
  }

  /**
   * buildIndex for keys hashed on the append path (indexKeyHashesOf): the first `count` of
   * `hashes`, in the order buildIndex puts them.
   */
  buildIndexFromHashes(phyOffset: number, storeTimestamp: number, sysFlag: number, hashes: Int32Array, count: number): void {
    if (!this.cfg.messageIndexEnable || count === 0) return;
    if (phyOffset < this.writableFile().endPhyOffset) return;
    if ((sysFlag & TRANSACTION_MASK) === TRANSACTION_ROLLBACK) return;
    for (let k = 0; k < count; k++) this.put(hashes[k]!, phyOffset, storeTimestamp);
  }

  /** Offsets of records with this key stored within [begin, end], newest first, at most min(maxNum, maxMsgsNumBatch). */
  queryOffset(topic: string, key: string, maxNum: number, begin: number, end: number): QueryOffsetResult {
    return queryIndexFiles(this.files, indexKeyHash(topic, key), this.clampMax(maxNum), begin, end);
  }

  /** queryOffset off the event loop when it touches more than one file (the piscina pool). */
  async queryOffsetAsync(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<QueryOffsetResult> {
    if (this.closed) return this.queryOffset(topic, key, maxNum, begin, end);
    return queryIndexFilesAsync(this.files, () => (this.pool ??= this.opts.queryPool ?? new IndexQueryPool()), {
      hashSlotNum: this.cfg.maxHashSlotNum,
      indexNum: this.cfg.maxIndexNum,
      keyHash: indexKeyHash(topic, key),
      maxNum: this.clampMax(maxNum),
      begin,
      end,
    });
  }

  /** Deletes the oldest files whose end offset is below `minPhyOffset`, never the newest. Returns how many. */
  deleteExpired(minPhyOffset: number): number {
    let n = 0;
    while (this.files.length > 1 && this.files[0].endPhyOffset < minPhyOffset) {
      this.files.shift()!.destroy();
      n++;
    }
    return n;
  }

  /**
   * Recovery: the commit log's valid data ends at `phyOffset`, so entries at or past it point at
   * records that no longer exist (and would point at different ones once appends resume there).
   * Removes them: newest files that hold only such entries are deleted, the file that straddles
   * the point has its tail entries rolled back. Afterwards `endPhyOffset` is below `phyOffset`, so
   * the records re-appended there get indexed.
   */
  truncateBeyond(phyOffset: number): void {
    for (let f = this.files.at(-1); f && f.endPhyOffset >= phyOffset; f = this.files.at(-1)) {
      if (f.beginPhyOffset >= phyOffset) {
        this.files.pop()!.destroy();
      } else {
        f.truncateFrom(phyOffset);
        return;
      }
    }
  }

  /**
   * What the periodic flush of the consume queues does for the index: waits for the background
   * flush of a rolled (full) file and reports its failure, but leaves the newest file to the
   * kernel's writeback. As in RocketMQ, only full files are flushed (and everything at close):
   * the newest file is past the index checkpoint, so after a crash `load` deletes it whatever it
   * holds, and flushing it bought nothing. It cost: under full load random inserts dirty nearly
   * all of its ~5,000 hash-slot pages every second, and each flush wrote those 20 MB back with
   * a TLB shootdown per page (3% of all CPU on the bench VM) and a write fault per page after.
   */
  async settle(): Promise<void> {
    await this.background;
    this.throwFailure();
  }

  /** Makes the newest file durable, after any pending flush of a rolled file. */
  async flush(): Promise<void> {
    await this.background;
    this.throwFailure();
    await this.files.at(-1)?.flush();
  }

  /** Flushes, closes the files and stops the query pool if the service made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } finally {
      for (const f of this.files) f.close();
      this.files = [];
      if (this.pool && this.pool !== this.opts.queryPool) await this.pool.close();
      this.pool = null;
    }
  }

  private put(keyHash: number, phyOffset: number, storeTimestamp: number): void {
    if (!this.writableFile().putKey(keyHash, phyOffset, storeTimestamp)) {
      this.roll().putKey(keyHash, phyOffset, storeTimestamp);
    }
  }

  private writableFile(): IndexFile {
    const last = this.files.at(-1);
    return last && !last.isFull() ? last : this.roll();
  }

  /**
   * A new newest file continuing from the previous one's end. The previous file is flushed in the
   * background and then reported as the checkpoint time, as RocketMQ does.
   */
  private roll(): IndexFile {
    const prev = this.files.at(-1);
    makeDirs(this.dir);
    const f = IndexFile.create(join(this.dir, this.newFileName(prev)), this.cfg.maxHashSlotNum, this.cfg.maxIndexNum, prev?.endPhyOffset ?? 0, prev?.endTimestamp ?? 0);
    this.files.push(f);
    if (prev) {
      this.background = this.background.then(async () => {
        try {
          await prev.flush();
          // A file recovery truncated away meanwhile is not a checkpoint.
          if (prev.isFull() && !prev.isClosed) this.opts.onIndexCheckpoint?.(prev.endTimestamp);
        } catch (e) {
          this.failure ??= e;
        }
      });
    }
    return f;
  }

  /** Creation-time name, bumped past the previous file's so that names stay unique and ordered. */
  private newFileName(prev: IndexFile | undefined): string {
    let t = (this.opts.now ?? Date.now)();
    let name = indexFileName(t);
    if (prev && name <= prev.name) {
      t = parseIndexFileTime(prev.name) + 1;
      name = indexFileName(t);
      while (name <= prev.name) name = indexFileName(++t);
    }
    return name;
  }

  private prefixHash(topic: string): number {
    let h = this.prefixes.get(topic);
    if (h === undefined) {
      h = indexKeyPrefixHash(topic);
      this.prefixes.set(topic, h);
    }
    return h;
  }

  private clampMax(maxNum: number): number {
    return Math.max(0, Math.min(maxNum, this.cfg.maxMsgsNumBatch));
  }

  private throwFailure(): void {
    if (this.failure !== null) throw this.failure;
  }
}

/** Inverse of indexFileName: local time of a yyyyMMddHHmmssSSS name. */
function parseIndexFileTime(name: string): number {
  const n = (a: number, b: number) => Number(name.slice(a, b));
  return new Date(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14), n(14, 17)).getTime();
}
