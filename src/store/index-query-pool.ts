import { Piscina } from 'piscina';
import { StoreError } from './errors.js';
import type { IndexFile } from './index-file.js';

/** Offsets found for a key, newest first, and the index's last update (QUERY_MESSAGE's header). */
export interface QueryOffsetResult {
  phyOffsets: number[];
  indexLastUpdateTimestamp: number;
  indexLastUpdatePhyoffset: number;
}

/** One query for the pool: the index files (oldest first) and the already clamped arguments. */
export interface IndexQueryTask {
  paths: string[];
  hashSlotNum: number;
  indexNum: number;
  keyHash: number;
  maxNum: number;
  begin: number;
  end: number;
}

/**
 * RocketMQ's IndexService.queryOffset over `files` (oldest first): newest file first, skipping
 * files whose time range misses [begin, end], stopping at a file that starts before `begin` or
 * once maxNum offsets are found. The last update values come from the newest file.
 */
export function queryIndexFiles(files: readonly IndexFile[], keyHash: number, maxNum: number, begin: number, end: number): QueryOffsetResult {
  const result: QueryOffsetResult = { phyOffsets: [], indexLastUpdateTimestamp: 0, indexLastUpdatePhyoffset: 0 };
  const last = files.at(-1);
  if (!last) return result;
  result.indexLastUpdateTimestamp = last.endTimestamp;
  result.indexLastUpdatePhyoffset = last.endPhyOffset;
  for (let i = files.length - 1; i >= 0; i--) {
    const f = files[i];
    if (f.isTimeMatched(begin, end)) f.selectPhyOffsets(result.phyOffsets, keyHash, maxNum, begin, end);
    if (f.beginTimestamp < begin || result.phyOffsets.length >= maxNum) break;
  }
  return result;
}

/**
 * queryIndexFiles, run on `pool()` when more than one file's time range matches (walking bucket
 * chains through several cold files would stall the event loop), inline otherwise.
 */
export function queryIndexFilesAsync(files: readonly IndexFile[], pool: () => IndexQueryPool, q: Omit<IndexQueryTask, 'paths'>): Promise<QueryOffsetResult> {
  let touched = 0;
  for (const f of files) if (f.isTimeMatched(q.begin, q.end)) touched++;
  if (touched <= 1) return Promise.resolve(queryIndexFiles(files, q.keyHash, q.maxNum, q.begin, q.end));
  return pool().query({ paths: files.map((f) => f.path), ...q });
}

const DEFAULT_WORKER = new URL('../workers/index-query-worker.js', import.meta.url).href;

/**
 * Runs index queries that span several files on a small piscina pool, so walking long bucket
 * chains through cold pages of 400 MB files never stalls the broker's event loop. Threads start on
 * the first query and the pool is destroyed by close(). Each worker maps the files read-only itself.
 */
export class IndexQueryPool {
  private pool: Piscina<IndexQueryTask, QueryOffsetResult> | null = null;
  private closed = false;

  constructor(private readonly opts: { maxThreads?: number; idleTimeoutMs?: number; filename?: string } = {}) {}

  query(task: IndexQueryTask): Promise<QueryOffsetResult> {
    if (this.closed) return Promise.reject(new StoreError('SERVICE_NOT_AVAILABLE', 'index query pool is closed'));
    this.pool ??= new Piscina<IndexQueryTask, QueryOffsetResult>({
      filename: this.opts.filename ?? DEFAULT_WORKER,
      minThreads: 0,
      maxThreads: this.opts.maxThreads ?? 2,
      idleTimeout: this.opts.idleTimeoutMs ?? 60_000,
    });
    return this.pool.run(task);
  }

  /** Threads started so far (0 until the first query). */
  get threads(): number {
    return this.pool?.threads.length ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    if (pool) await pool.destroy();
  }
}
