import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreConfig } from './config.js';
import { indexDir } from './file-names.js';
import { IndexFile, indexKeyHash } from './index-file.js';
import { queryIndexFilesAsync, type IndexQueryPool, type QueryOffsetResult } from './index-query-pool.js';
import { StoreError } from './errors.js';

const INDEX_FILE_NAME = /^\d{17}$/;

/**
 * A long-lived, read-only view of an index directory that another thread writes (the index
 * worker). Each file is mapped once, when first seen, and kept: the writer's entries show through
 * the shared mapping, so a query only has to list the directory to pick up files the writer
 * created and to drop the ones it deleted. Never writes or flushes a file (the newest one belongs
 * to the writer). Queries spanning several files go to the shared pool, as IndexService's do.
 */
export class IndexReader {
  private readonly dir: string;
  /** Open files by name, and the same files oldest first (what queries walk). */
  private readonly byName = new Map<string, IndexFile>();
  private files: IndexFile[] = [];
  private closed = false;

  constructor(
    private readonly cfg: StoreConfig,
    private readonly pool: IndexQueryPool,
  ) {
    this.dir = indexDir(cfg);
  }

  /** Files currently mapped, oldest first (for tests and runtime info). */
  get paths(): string[] {
    return this.files.map((f) => f.path);
  }

  /** Offsets of records with this key stored within [begin, end], newest first (IndexService.queryOffsetAsync). */
  queryOffsetAsync(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<QueryOffsetResult> {
    if (this.closed) return Promise.reject(new StoreError('SERVICE_NOT_AVAILABLE', 'index reader is closed'));
    try {
      this.refresh();
    } catch (e) {
      return Promise.reject(e);
    }
    const clamped = Math.max(0, Math.min(maxNum, this.cfg.maxMsgsNumBatch));
    return queryIndexFilesAsync(this.files, () => this.pool, {
      hashSlotNum: this.cfg.maxHashSlotNum,
      indexNum: this.cfg.maxIndexNum,
      keyHash: indexKeyHash(topic, key),
      maxNum: clamped,
      begin,
      end,
    });
  }

  /** Brings the view in line with the directory: maps new files, lets go of deleted ones. */
  refresh(): void {
    const names = existsSync(this.dir) ? readdirSync(this.dir).filter((n) => INDEX_FILE_NAME.test(n)).sort() : [];
    if (names.length === this.files.length && names.every((n, i) => this.files[i]!.name === n)) return;
    const present = new Set(names);
    for (const [name, f] of this.byName) {
      if (present.has(name)) continue;
      f.close();
      this.byName.delete(name);
    }
    const files: IndexFile[] = [];
    for (const name of names) {
      let f = this.byName.get(name);
      if (!f) {
        f = this.open(name);
        if (!f) continue;
        this.byName.set(name, f);
      }
      files.push(f);
    }
    this.files = files;
  }

  /** Closes every file; their mappings go with garbage collection once no query holds them. */
  close(): void {
    this.closed = true;
    for (const f of this.byName.values()) f.close();
    this.byName.clear();
    this.files = [];
  }

  /** Maps `name` read-only; undefined when the writer deleted it since the directory was listed. */
  private open(name: string): IndexFile | undefined {
    const path = join(this.dir, name);
    try {
      return IndexFile.open(path, this.cfg.maxHashSlotNum, this.cfg.maxIndexNum, { readOnly: true });
    } catch (e) {
      if (!existsSync(path)) return undefined;
      throw e;
    }
  }
}
