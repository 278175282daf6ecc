import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { StoreError } from './errors.js';

/**
 * Every commit log segment, consume queue file and index file is a memory mapping and keeps a
 * descriptor open, and the kernel caps both per process: `vm.max_map_count` (65,530 by default)
 * and the open files limit (`ulimit -n`; 20,000 on the bench VM, where 10,000 one-queue topics
 * reached it). A store with many topics and queues runs out of one of them, and then:
 * - out of mappings, the mmap that fails is as likely to be V8's own (a heap page, a compiler
 *   zone) as ours, and V8 aborts the process ("Zone Allocation failed - process out of memory");
 * - out of descriptors, the consume queue that cannot be opened stops the store taking appends
 *   for every topic until a restart, and accepting connections fails too.
 * (Both probed: 3,000 new topics under a map limit of 2,000; 10,000 under 20,000 descriptors.)
 *
 * So the store stops taking both while a margin is still left for the runtime and connections:
 * a file it cannot have is a CREATE_MAPPED_FILE_FAILED error that names the limit, and a message
 * for a queue the store has never seen (which needs a new consume queue file) is refused earlier
 * still, at twice the margin, so records already accepted can still get their consume queue
 * files and known queues keep appending.
 *
 * Counting means reading /proc/self/maps or /proc/self/fd (20 ms at 30,000 entries), so a thread
 * counts again only when it has taken half as many as were left at its last count (the other
 * half is for other threads, which open files too, and the runtime), or when its estimate says no
 * and a second has passed (files of garbage-collected buffers come back). A client retrying a
 * refused new queue in a loop costs no count at all within that second.
 */
interface Resource {
  /** How an error names the limit. */
  readonly what: string;
  readonly remedy: string;
  limit(): number;
  count(): number;
  margin(limit: number): number;
  /** This thread's view (module state is per thread): left above the margin at its last count, */
  countedLeft: number;
  /** ... taken since, */
  takenSince: number;
  /** ... and when it counted (never: -Infinity). */
  countedAt: number;
}

/** A refusal is checked again after this long at most once (the count is what costs). */
const RECOUNT_AFTER_MS = 1000;

/** A limit a test may lower through the environment (the real ones are global or fixed at exec). */
function forced(name: string): number | null {
  const v = Number(process.env[name]);
  return Number.isSafeInteger(v) && v > 0 ? v : null;
}

const countBuf = Buffer.allocUnsafe(64 * 1024);
let counts = 0;

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

/** The process's open descriptors. */
export function countDescriptors(): number {
  counts++;
  return readdirSync('/proc/self/fd').length;
}

/** How many times this thread has counted mappings or descriptors (tests, diagnostics). */
export function budgetCounts(): number {
  return counts;
}

function readLimit(read: () => number): number {
  try {
    return read() || Infinity;
  } catch {
    return Infinity; // not Linux: no limit known, nothing checked
  }
}

/** Mappings left to the runtime: an eighth of the limit, between 256 and 4,096. */
export function mapMargin(limit: number): number {
  return Math.min(4096, Math.max(256, Math.floor(limit / 8)));
}

/** Descriptors left to the runtime and connections: an eighth of the limit, between 16 and 4,096. */
export function descriptorMargin(limit: number): number {
  return Math.min(4096, Math.max(16, Math.floor(limit / 8)));
}

const MAPPINGS: Resource = {
  what: 'vm.max_map_count',
  remedy: "raise vm.max_map_count (RocketMQ's os.sh sets 655360)",
  limit: () => forced('ROCKETMQ_TS_MAX_MAP_COUNT') ?? readLimit(() => Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8').trim())),
  count: countMappings,
  margin: mapMargin,
  countedLeft: 0,
  takenSince: 0,
  countedAt: -Infinity,
};

const DESCRIPTORS: Resource = {
  what: 'the open files limit',
  remedy: 'raise the open files limit (ulimit -n; LimitNOFILE= under systemd)',
  limit: () => forced('ROCKETMQ_TS_MAX_OPEN_FILES') ?? readLimit(() => Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1])),
  count: countDescriptors,
  margin: descriptorMargin,
  countedLeft: 0,
  takenSince: 0,
  countedAt: -Infinity,
};

/**
 * Whether more than `need` are left above the margin, by this thread's estimate, counted again
 * when that estimate has been stretched or is a refusal old enough to look at again.
 */
function hasMoreThan(r: Resource, need: number): boolean {
  const stretched = r.countedLeft > 0 && r.takenSince >= r.countedLeft / 2;
  if (!stretched && r.countedLeft - r.takenSince > need) return true;
  const now = Date.now();
  if (stretched || now - r.countedAt >= RECOUNT_AFTER_MS) {
    const limit = r.limit();
    r.countedLeft = limit === Infinity ? Number.MAX_SAFE_INTEGER : limit - r.count() - r.margin(limit);
    r.takenSince = 0;
    r.countedAt = now;
  }
  return r.countedLeft - r.takenSince > need;
}

function refusal(r: Resource, what: string): StoreError {
  const limit = r.limit();
  return new StoreError(
    'CREATE_MAPPED_FILE_FAILED',
    `${what}: the process is near ${r.what} (${limit}; ${r.margin(limit)} are kept for the runtime and connections). Every commit log segment, consume queue file and index file is a memory mapping with an open descriptor: ${r.remedy}, or keep fewer topics and queues`,
  );
}

/**
 * Called before opening `path` (a descriptor) and before mapping it (a mapping): throws
 * CREATE_MAPPED_FILE_FAILED when too few of either are left.
 */
export function takeFile(path: string, opts: { mapping?: boolean; descriptor?: boolean } = {}): void {
  const resources = [...(opts.mapping === false ? [] : [MAPPINGS]), ...(opts.descriptor === false ? [] : [DESCRIPTORS])];
  for (const r of resources) if (!hasMoreThan(r, 0)) throw refusal(r, `cannot ${r === MAPPINGS ? 'map' : 'open'} ${path}`);
  for (const r of resources) r.takenSince++;
}

/**
 * Called before accepting the first message of a queue the store has not seen (its consume queue
 * file will be a new mapping and descriptor): refused, before anything is written, while fewer
 * than a margin are left above the margin `takeFile` keeps.
 */
export function checkNewQueue(topic: string, queueId: number): void {
  for (const r of [MAPPINGS, DESCRIPTORS]) {
    const limit = r.limit();
    if (limit !== Infinity && !hasMoreThan(r, r.margin(limit))) throw refusal(r, `no new queue ${topic}:${queueId}`);
  }
  // Its file may be opened by a dispatch worker, whose files this thread does not see: counted here.
  MAPPINGS.takenSince++;
  DESCRIPTORS.takenSince++;
}

/**
 * Said once a store has loaded its files: a warning for each limit of which the process already
 * holds more than half of what it may take, so an operator raises it before new queues are refused.
 */
export function fileLimitWarnings(): string[] {
  const out: string[] = [];
  for (const r of [MAPPINGS, DESCRIPTORS]) {
    const limit = r.limit();
    if (limit === Infinity) continue;
    const held = r.count();
    if (held < (limit - r.margin(limit)) / 2) continue;
    out.push(`the process holds ${held} of ${r.what} ${limit} (every commit log segment, consume queue file and index file takes one; new queues are refused within ${2 * r.margin(limit)} of the limit): ${r.remedy}`);
  }
  return out;
}

/** Whether an mmap error is the kernel refusing for lack of mappings or address space (ENOMEM). */
export function isMapLimitError(e: unknown): boolean {
  return e instanceof Error && /mmap failed, 12\b|ENOMEM/.test(e.message);
}

/** Tests: forget this thread's counts so the next check counts again. */
export function resetFileBudget(): void {
  for (const r of [MAPPINGS, DESCRIPTORS]) {
    r.countedLeft = 0;
    r.takenSince = 0;
    r.countedAt = -Infinity;
  }
}
