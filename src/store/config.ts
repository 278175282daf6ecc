import { parseDelayLevels } from './delay-levels.js';
import { homedir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyConfig } from './config-schema.js';
import { parsePropertiesText } from './properties-file.js';
import { StoreError } from './errors.js';
import { parseDeleteWhen } from './delete-when.js';

/**
 * The store's configuration: RocketMQ 4.9 `MessageStoreConfig` key names and defaults, limited to
 * what this store implements, plus a few keys of ours (marked). One plain object, no setters.
 */
export const STORE_DEFAULTS = {
  storePathRootDir: join(homedir(), 'store'),
  /** Empty = `<storePathRootDir>/commitlog`. */
  storePathCommitLog: '',
  /** Empty = `<storePathRootDir>/consumequeue`. */
  storePathConsumerQueue: '',
  /** Empty = `<storePathRootDir>/index`. */
  storePathIndex: '',
  mappedFileSizeCommitLog: 1024 * 1024 * 1024,
  mappedFileSizeConsumeQueue: 300_000 * 20,
  flushDiskType: 'ASYNC_FLUSH' as 'ASYNC_FLUSH' | 'SYNC_FLUSH',
  brokerRole: 'ASYNC_MASTER' as 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE',
  flushIntervalCommitLog: 500,
  flushCommitLogLeastPages: 4,
  flushCommitLogThoroughInterval: 10_000,
  flushIntervalConsumeQueue: 1000,
  flushConsumeQueueLeastPages: 2,
  flushConsumeQueueThoroughInterval: 60_000,
  syncFlushTimeout: 5000,
  maxMessageSize: 4 * 1024 * 1024,
  checkCRCOnRecover: true,
  messageIndexEnable: true,
  messageIndexSafe: false,
  maxHashSlotNum: 5_000_000,
  maxIndexNum: 20_000_000,
  maxMsgsNumBatch: 64,
  /** Hours a commit log file is kept after its last write. Ours: fractions allowed (RocketMQ: whole hours). */
  fileReservedTime: 72,
  /** Hours of the day to delete expired files, "04;16"; ours: "*" = every hour (see delete-when.ts). */
  deleteWhen: '04',
  diskMaxUsedSpaceRatio: 75,
  cleanResourceInterval: 10_000,
  deleteCommitLogFilesInterval: 100,
  deleteConsumeQueueFilesInterval: 100,
  destroyMapedFileIntervalForcibly: 120_000,
  cleanFileForciblyEnable: true,
  accessMessageInMemoryMaxRatio: 40,
  /** Delay per level of delayed messages; the store needs it for the schedule topic's tag codes. */
  messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
  maxTransferBytesOnMessageInMemory: 256 * 1024,
  maxTransferCountOnMessageInMemory: 32,
  maxTransferBytesOnMessageInDisk: 64 * 1024,
  maxTransferCountOnMessageInDisk: 8,
  haListenPort: 10912,
  haTransferBatchSize: 32 * 1024,
  haSlaveFallbehindMax: 256 * 1024 * 1024,
  haSendHeartbeatInterval: 5000,
  haHousekeepingInterval: 20_000,
  slaveTimeout: 3000,
  /** A slave's master HA "host:port"; when empty (or under 6 characters) the NameServer's answer is used. */
  haMasterAddress: '',
  /**
   * Appends go to in-memory staging buffers and reach the segment files by write(2) on libuv's
   * pool, as with RocketMQ's transient store pool (here also under SYNC_FLUSH, where it is always
   * on: see StagedWrites). Under ASYNC_FLUSH a send is acknowledged once staged, as RocketMQ
   * does, and readers see it once committed (normally the next turn of the event loop): sends no
   * longer wait out writeback stalls of the file, but a killed process loses what was staged and
   * not yet committed. Under SYNC_FLUSH acknowledgements still wait for the disk.
   */
  transientStorePoolEnable: false,
  /**
   * Ours: prepare the next commit log segment in the background, zero-filled, so appends never
   * write into unallocated blocks (the kernel then allocates them at writeback, which the
   * appending thread contends with). Costs one extra write of each segment: on the 2-core bench machine it cut send p99 at 10k msgs/s from 19 to
   * 4.5 ms but peak throughput by about 20%, so it is off by default. Under SYNC_FLUSH it hurts:
   * an O_DSYNC write into zeroed blocks is faster (0.24 against 0.31 ms for 72 KiB, no journal
   * commit for the allocation), but zeroing the next 1 GiB keeps the disk busy for about 2 s and
   * the flushes queue behind it (send p99 at 10k msgs/s: 48-52 ms against 4.8-12.7 ms).
   */
  preallocateCommitLog: false,
  /**
   * Ours: build ConsumeQueues and the index in worker threads (false = inline on append). Read by
   * the process entry points (src/workers' storeThreadsFor); an embedding program that constructs
   * the store itself passes its own dispatcher. In workers, consume queue and index writes (and
   * their page faults) leave the event loop (sends paced at 35k msgs/s: p99 9.6-13.4 ms against
   * 13.3-15.6 ms inline, same peak rates), but an
   * acknowledged message becomes visible to offset queries and pulls only once a worker has run:
   * on a loaded 2-core machine that took over 50 ms at times, and tests that read offsets right
   * after sending failed 2 runs in 7. Inline keeps "acknowledged = visible", so it is the default.
   */
  dispatchInWorkers: false,
  /** Ours: slots in the SharedArrayBuffer dispatch ring. */
  dispatchRingSlots: 65_536,
};

export type StoreConfig = typeof STORE_DEFAULTS;

export const STORE_CHOICES = {
  flushDiskType: ['ASYNC_FLUSH', 'SYNC_FLUSH'],
  brokerRole: ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'],
} as const;

/** Keys whose zero (or large value) is never meant: sizes and intervals that must be positive, percentages. */
export const STORE_RANGES: Record<string, readonly [number, number?]> = {
  maxMessageSize: [1],
  flushIntervalCommitLog: [1],
  flushIntervalConsumeQueue: [1],
  flushCommitLogThoroughInterval: [1],
  flushConsumeQueueThoroughInterval: [1],
  syncFlushTimeout: [1],
  maxHashSlotNum: [1],
  maxIndexNum: [1],
  maxMsgsNumBatch: [1],
  maxTransferBytesOnMessageInMemory: [1],
  maxTransferCountOnMessageInMemory: [1],
  maxTransferBytesOnMessageInDisk: [1],
  maxTransferCountOnMessageInDisk: [1],
  cleanResourceInterval: [1],
  diskMaxUsedSpaceRatio: [0, 100],
  accessMessageInMemoryMaxRatio: [0, 100],
  haListenPort: [0, 65535],
  haTransferBatchSize: [1],
  haSlaveFallbehindMax: [1],
  haSendHeartbeatInterval: [1],
  haHousekeepingInterval: [1],
  slaveTimeout: [1],
};

/** Number keys that may have a fractional part (tests keep files for seconds, not hours). */
const STORE_DECIMALS = ['fileReservedTime'];

/** Builds a store config from partial values (object or parsed `.properties`), validating types. */
export function storeConfig(
  values: Partial<StoreConfig> | Map<string, string> = {},
  opts: { warn?: (msg: string) => void; alsoKnown?: ReadonlySet<string> } = {},
): StoreConfig {
  const cfg = applyConfig(STORE_DEFAULTS, values as Map<string, string>, { choices: STORE_CHOICES, ranges: STORE_RANGES, decimals: STORE_DECIMALS, ...opts });
  if (cfg.mappedFileSizeCommitLog < 4096) {
    throw new StoreError('BAD_CONFIG', `config key "mappedFileSizeCommitLog": ${cfg.mappedFileSizeCommitLog} is below 4096`);
  }
  parseDelayLevels(cfg.messageDelayLevel);
  parseDeleteWhen(cfg.deleteWhen);
  // RocketMQ rounds the ConsumeQueue file size up to a whole number of 20-byte units.
  cfg.mappedFileSizeConsumeQueue = Math.ceil(cfg.mappedFileSizeConsumeQueue / 20) * 20;
  if (cfg.mappedFileSizeConsumeQueue < 20) {
    throw new StoreError('BAD_CONFIG', `config key "mappedFileSizeConsumeQueue" must be at least 20`);
  }
  return cfg;
}

/** Reads a `.properties` file into a store config (unknown keys warned by name). */
export function loadStoreConfig(file: string, warn?: (msg: string) => void): StoreConfig {
  return storeConfig(parsePropertiesText(readFileSync(file, 'utf8')), { warn });
}
