import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreConfig } from './config.js';
import { StoreError } from './errors.js';
import { makeDirs } from './make-dirs.js';

/**
 * Every on-disk name the store uses is built here: segment files named by their 20-digit
 * zero-padded start offset, the ConsumeQueue tree `<cq>/<topic>/<queueId>/`, index files named by
 * local creation time, and the root-level checkpoint, abort and lock files.
 */
export function offsetToFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function fileNameToOffset(name: string): number | null {
  return /^\d{20}$/.test(name) ? Number(name) : null;
}

export function commitLogDir(cfg: StoreConfig): string {
  return cfg.storePathCommitLog || join(cfg.storePathRootDir, 'commitlog');
}

export function consumeQueueRootDir(cfg: StoreConfig): string {
  return cfg.storePathConsumerQueue || join(cfg.storePathRootDir, 'consumequeue');
}

const UNSAFE_DIR_CHARS = /[/\\\x00-\x1f]/;

/**
 * Whether a topic can name a consume queue directory: no path separator, control character, or
 * "."/"..", so that no topic, sent or read back from a damaged record, reaches outside the store.
 */
export function isSafeTopicDir(topic: string): boolean {
  return topic.length > 0 && !UNSAFE_DIR_CHARS.test(topic) && topic !== '.' && topic !== '..';
}

export function consumeQueueDir(cfg: StoreConfig, topic: string, queueId: number): string {
  return join(consumeQueueRootDir(cfg), topic, String(queueId));
}

export function indexDir(cfg: StoreConfig): string {
  return cfg.storePathIndex || join(cfg.storePathRootDir, 'index');
}

export function checkpointPath(cfg: StoreConfig): string {
  return join(cfg.storePathRootDir, 'checkpoint');
}

export function abortPath(cfg: StoreConfig): string {
  return join(cfg.storePathRootDir, 'abort');
}

/** Index file name: local time of creation as yyyyMMddHHmmssSSS (RocketMQ's UtilAll.timeMillisToHumanString). */
export function indexFileName(timeMs: number): string {
  const d = new Date(timeMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}${p(d.getMilliseconds(), 3)}`;
}

const STORE_MARKERS = ['commitlog', 'consumequeue', 'index', 'checkpoint', 'abort', 'lock', 'config'];

/**
 * Creates the store root if needed; refuses a path that is a file, or a non-empty directory with
 * none of a store's names in it (a wrong path must not get segment files written into it).
 */
export function prepareStoreRoot(root: string): void {
  if (existsSync(root)) {
    if (!statSync(root).isDirectory()) throw new StoreError('NOT_A_STORE', `storePathRootDir ${root} is not a directory`);
    const names = readdirSync(root);
    if (names.length > 0 && !names.some((n) => STORE_MARKERS.includes(n))) {
      throw new StoreError('NOT_A_STORE', `storePathRootDir ${root} is not empty and holds no store (no commitlog, consumequeue or checkpoint)`);
    }
  }
  makeDirs(root);
}
