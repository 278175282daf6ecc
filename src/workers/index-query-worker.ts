import { existsSync } from 'node:fs';
import { IndexFile } from '../store/index-file.js';
import { queryIndexFiles } from '../store/index-query-pool.js';
import type { IndexQueryTask, QueryOffsetResult } from './messages.js';
import { nameThisThread } from './thread-name.js';

/**
 * piscina worker for IndexQueryPool: answers one index query over the files it is given. Files
 * stay mapped read-only between tasks (the writer's changes show through the shared mapping);
 * a file missing from a task's list has been deleted and is dropped from the cache.
 */
const cache = new Map<string, IndexFile>();
nameThisThread('rmq-query');

export default function queryIndex(task: IndexQueryTask): QueryOffsetResult {
  const wanted = new Set(task.paths);
  for (const [path, f] of cache) {
    if (!wanted.has(path)) {
      f.close();
      cache.delete(path);
    }
  }
  const files: IndexFile[] = [];
  for (const path of task.paths) {
    let f = cache.get(path);
    if (!f) {
      // Expiry may delete the oldest files while the task waits in the queue: they hold nothing
      // the query may still return, so skip them rather than fail.
      if (!existsSync(path)) continue;
      f = IndexFile.open(path, task.hashSlotNum, task.indexNum, { readOnly: true });
      cache.set(path, f);
    }
    files.push(f);
  }
  return queryIndexFiles(files, task.keyHash, task.maxNum, task.begin, task.end);
}
