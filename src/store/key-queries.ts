import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import type { IndexService } from './index-service.js';
import type { QueryMessageResult } from './types.js';
import type { IndexQueryPool } from './index-query-pool.js';
import { IndexReader } from './index-reader.js';
import { decodeMessage } from './message-codec.js';
import { hasKey } from './store-reads.js';

/**
 * Messages by key (QUERY_MESSAGE): the index, on this thread or the index worker's files, gives
 * candidate offsets; the records are read back from the commit log.
 */
export class KeyQueries {
  /** Workers mode: the index worker's files, mapped once for every query. */
  private reader: IndexReader | null = null;

  constructor(
    private readonly cfg: StoreConfig,
    private readonly index: IndexService,
    private readonly commitLog: CommitLog,
    /** Multi-file key queries, inline or in workers mode: one pool for the store's lifetime (the index service's too). */
    private readonly pool: IndexQueryPool,
  ) {}

  /**
   * The index matches on key hashes only, so records are checked against the topic and key
   * before they are returned (RocketMQ leaves that to clients; we don't).
   */
  async query(topic: string, key: string, maxNum: number, begin: number, end: number, fromWorkerFiles: boolean): Promise<QueryMessageResult> {
    const found = fromWorkerFiles
      ? await (this.reader ??= new IndexReader(this.cfg, this.pool)).queryOffsetAsync(topic, key, maxNum, begin, end)
      : await this.index.queryOffsetAsync(topic, key, maxNum, begin, end);
    const messages: Buffer[] = [];
    for (const off of found.phyOffsets) {
      const rec = this.commitLog.getRecord(off);
      if (!rec) continue;
      if (hasKey(decodeMessage(rec, 0), topic, key)) messages.push(rec);
    }
    return { messages, indexLastUpdateTimestamp: found.indexLastUpdateTimestamp, indexLastUpdatePhyoffset: found.indexLastUpdatePhyoffset };
  }

  /** The index worker deleted files: let go of their mappings. */
  refresh(): void {
    this.reader?.refresh();
  }

  async close(): Promise<void> {
    this.reader?.close();
    await this.pool.close();
  }
}
