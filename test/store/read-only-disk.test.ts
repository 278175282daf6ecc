import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/store-paths.js';

/**
 * ext4 mounted with errors=remount-ro goes read-only on its own when it meets an error. The store
 * must then stop acknowledging appends it can no longer make durable, and stay up to serve reads.
 * The filesystem is a loop-mounted image in the child's own mount namespace (skipped where that
 * cannot be mounted), so it goes away with the child whatever happens.
 */
const canMount =
  spawnSync('unshare', ['-m', 'sh', '-c', 'img=$(mktemp) && truncate -s 8M "$img" && mkfs.ext4 -q "$img" && mount -o loop "$img" /mnt; s=$?; rm -f "$img"; exit $s'], { stdio: 'ignore' }).status === 0;

describe('a store whose filesystem turns read-only', () => {
  // Mapped appends (flushes fail), staged appends under ASYNC_FLUSH (commits fail), SYNC_FLUSH (both).
  it.skipIf(!canMount).each([
    ['ASYNC_FLUSH', 'false'],
    ['ASYNC_FLUSH', 'true'],
    ['SYNC_FLUSH', 'false'],
  ])('%s (transientStorePoolEnable=%s) refuses appends once a write fails with EROFS, still serves reads and stops', (flushDiskType, pool) => {
    const { dir, cleanup } = tempDir();
    try {
      const img = join(dir, 'fs.img');
      const mnt = join(dir, 'mnt');
      const child = join(REPO_ROOT, 'dist/test/store/read-only-child.js');
      const script = [
        'set -e',
        `truncate -s 48M "${img}"`,
        `mkfs.ext4 -q "${img}"`,
        `mkdir "${mnt}"`,
        `mount -o loop,errors=remount-ro "${img}" "${mnt}"`,
        `dev=$(basename "$(findmnt -n -o SOURCE "${mnt}")")`,
        `"${process.execPath}" "${child}" "${mnt}/store" "/sys/fs/ext4/$dev/trigger_fs_error" ${flushDiskType} ${pool}`,
      ].join('\n');
      // The child must also stop: a shutdown waiting for commits that cannot happen would hang it.
      const out = execFileSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { acceptedAfter: number; refused: string; readable: number; oldReadable: number; oldWrite: string; oldFirstSize: number };
      expect(r.refused).toMatch(/^14: .*\(EROFS\): appends are refused until restart/);
      // Appends in the flush interval before the failure was seen may still have been taken; staged
      // ones that never reached the file are not readable.
      expect(r.acceptedAfter).toBeLessThan(50);
      expect(r.readable).toBeGreaterThanOrEqual(100);
      expect(r.readable).toBeLessThanOrEqual(100 + r.acceptedAfter);
      // A queue file first mapped after the filesystem went read-only is mapped for reading.
      expect(r.oldReadable).toBe(50);
      expect(r.oldFirstSize).toBeGreaterThan(1000); // the first unit's record size, read through that mapping
      expect(r.oldWrite).toMatch(/^SERVICE_NOT_AVAILABLE: .*Old\/0\/0{20} cannot be written: its filesystem refused a writable mapping/);
    } finally {
      cleanup();
    }
  });
});
