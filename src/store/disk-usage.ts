import { statfs } from 'node:fs/promises';

export interface DiskSpace {
  /** Bytes in use on the filesystem. */
  used: number;
  /** Bytes an unprivileged process may still write (statfs f_bavail). */
  usable: number;
}

/**
 * Space of the filesystem holding `path`, off the event loop (statfs on libuv's pool); null when
 * the path does not exist or cannot be asked, which RocketMQ's getDiskPartitionSpaceUsedPercent
 * reports as -1.
 */
export async function diskSpace(path: string): Promise<DiskSpace | null> {
  try {
    const s = await statfs(path);
    return { used: (s.blocks - s.bfree) * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return null;
  }
}

/**
 * RocketMQ's used ratio: used / (used + usable), rounded up to a whole percent, -1 when unknown.
 * Not used / total: the blocks reserved for root count neither way, so "full" means full for us.
 * `releasing` bytes are subtracted from used: deleted files whose blocks come back once their
 * mappings are garbage collected (see CleanCommitLogService).
 */
export function usedRatio(space: DiskSpace | null, releasing = 0): number {
  if (!space) return -1;
  const total = space.used + space.usable;
  if (total <= 0) return -1;
  const used = Math.max(0, space.used - releasing);
  return Math.ceil((used / total) * 100) / 100;
}
