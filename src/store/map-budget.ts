import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StoreError } from './errors.js';

/**
 * Memory mappings are a per-process resource the kernel caps at `vm.max_map_count` (65,530 by
 * default). Every commit log segment, consume queue file and index file is one mapping, so a
 * store with many topics and queues can run out; and when it does, the mmap that fails is as
 * likely to be V8's own (a heap page, a compiler zone) as ours, and V8 aborts the process with
 * "Zone Allocation failed - process out of memory": every client disconnected, and an operator
 * told to look for a memory leak. (Probed: 3,000 one-queue topics under a limit of 2,000.)
 *
 * So the store stops making mappings while a margin is still left for the runtime: a file it
 * cannot map is a CREATE_MAPPED_FILE_FAILED error that names the limit, and a message for a queue
 * the store has never seen (which needs a new consume queue file) is refused earlier still, at
 * twice the margin, so records already accepted can still get their consume queue files.
 * RocketMQ's own deployment script raises the limit to 655,360; that remains the remedy.
 *
 * Counting the process's mappings means reading /proc/self/maps (20 ms at 30,000 mappings), so a
 * thread counts again only when it has made half as many as were left at its last count (the
 * other half is for other threads, which map files too, and the runtime), or when its estimate
 * says no and a second has passed (mappings of garbage-collected buffers come back). A client
 * retrying a refused new queue in a loop costs no count at all within that second.
 */

/** `vm.max_map_count`, read each time it is needed (an operator may raise it); tests may lower it. */
function mapCountLimit(): number {
  const forced = Number(process.env.ROCKETMQ_TS_MAX_MAP_COUNT);
  if (Number.isSafeInteger(forced) && forced > 0) return forced;
  try {
    return Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim()) || Infinity;
  } catch {
    return Infinity; // not Linux: no limit known, nothing checked
  }
}

/** Mappings left to the runtime: an eighth of the limit, between 256 and 4,096. */
export function mapMargin(limit: number): number {
  return Math.min(4096, Math.max(256, Math.floor(limit / 8)));
}

const countBuf = Buffer.allocUnsafe(64 * 1024);

let counts = 0;

/** How many times this thread has counted its process's mappings (tests, diagnostics). */
export function mappingCounts(): number {
  return counts;
}

/** The process's mappings: lines of /proc/self/maps. */
export function countMappings(): number {
  counts++;
  const fd = openSync('/proc/self/maps', 'r');
  try {
    let lines = 0;
    for (let n = readSync(fd, countBuf, 0, countBuf.length, null); n > 0; n = readSync(fd, countBuf, 0, countBuf.length, null)) {
      for (let i = countBuf.indexOf(10, 0); i !== -1 && i < n; i = countBuf.indexOf(10, i + 1)) lines++;
    }
    return lines;
  } finally {
    closeSync(fd);
  }
}

/** A refusal is checked again after this long at most once (the count is what costs). */
const RECOUNT_AFTER_MS = 1000;

/** This thread's view (module state is per thread): mappings left above the margin at its last count, */
let countedLeft = 0;
/** ... the mappings it has made since, */
let takenSince = 0;
/** ... and when it counted (never: -Infinity). */
let countedAt = -Infinity;

/**
 * Whether more than `need` mappings are left above the margin, by this thread's estimate, counted
 * again when that estimate has been stretched or is a refusal old enough to look at again.
 */
function hasMoreThan(need: number): boolean {
  const stretched = countedLeft > 0 && takenSince >= countedLeft / 2;
  if (!stretched && countedLeft - takenSince > need) return true;
  const now = Date.now();
  if (stretched || now - countedAt >= RECOUNT_AFTER_MS) {
    const limit = mapCountLimit();
    countedLeft = limit === Infinity ? Number.MAX_SAFE_INTEGER : limit - countMappings() - mapMargin(limit);
    takenSince = 0;
    countedAt = now;
  }
  return countedLeft - takenSince > need;
}

function limitMessage(what: string): string {
  const limit = mapCountLimit();
  return `${what}: the process is near vm.max_map_count (${limit}; ${mapMargin(limit)} mappings are kept for the runtime). Every commit log segment, consume queue file and index file is a memory mapping: raise vm.max_map_count (RocketMQ's os.sh sets 655360), or keep fewer topics and queues`;
}

/** Called before mapping `path`: throws CREATE_MAPPED_FILE_FAILED when too few mappings are left. */
export function takeMapping(path: string): void {
  if (!hasMoreThan(0)) throw new StoreError('CREATE_MAPPED_FILE_FAILED', limitMessage(`cannot map ${path}`));
  takenSince++;
}

/**
 * Called before accepting the first message of a queue the store has not seen (its consume queue
 * file will be a new mapping): refused, before anything is written, while fewer than a margin of
 * mappings are left above the margin `takeMapping` keeps.
 */
export function checkNewQueue(topic: string, queueId: number): void {
  const limit = mapCountLimit();
  if (limit === Infinity) return;
  if (!hasMoreThan(mapMargin(limit))) {
    throw new StoreError('CREATE_MAPPED_FILE_FAILED', limitMessage(`no new queue ${topic}:${queueId}`));
  }
  // Its file may be mapped by a dispatch worker, whose mappings this thread does not see: counted here.
  takenSince++;
}

/**
 * Said once a store has loaded its files: a warning when the process already holds more than half
 * the mappings it may make, so an operator raises the limit before new queues are refused.
 */
export function mapLimitWarning(): string | null {
  const limit = mapCountLimit();
  if (limit === Infinity) return null;
  const held = countMappings();
  if (held < (limit - mapMargin(limit)) / 2) return null;
  return `the process holds ${held} memory mappings of vm.max_map_count ${limit} (every commit log segment, consume queue file and index file is one; new queues are refused within ${2 * mapMargin(limit)} of the limit): raise vm.max_map_count (RocketMQ's os.sh sets 655360)`;
}

/** Whether an mmap error is the kernel refusing for lack of mappings or address space (ENOMEM). */
export function isMapLimitError(e: unknown): boolean {
  return e instanceof Error && /mmap failed, 12\b|ENOMEM/.test(e.message);
}

/** Tests: forget this thread's count so the next check counts again. */
export function resetMapAllowance(): void {
  countedLeft = 0;
  takenSince = 0;
  countedAt = -Infinity;
}
