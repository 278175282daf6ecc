import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/store-paths.js';

/**
 * A full tmpfs is where mapped files bite hardest: a read fault in a hole of a shared mapping
 * must allocate a page there, and when none is left the process dies of SIGBUS. The store once
 * did that at the start after filling its disk (scanning consume queues and a torn tail through
 * the mapping) and on key lookups that hit an empty bucket. Each child runs in its own mount
 * namespace, so the tmpfs goes away with it whatever happens.
 */
const canMount = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /mnt'], { stdio: 'ignore' }).status === 0;

describe('a store whose tmpfs is full', () => {
  it.skipIf(!canMount)('refuses appends, starts again after a clean stop and after a crash, and answers key lookups', () => {
    const { dir, cleanup } = tempDir();
    try {
      const child = join(REPO_ROOT, 'dist/test/store/full-disk-child.js');
      const node = `"${process.execPath}" "${child}" "${dir}/store"`;
      const script = [
        'set -e',
        `mount -t tmpfs -o size=12m tmpfs "${dir}"`,
        `${node} fill`,
        `${node} reopen`,
        // A crash just after the next segment was created: it is all hole, and recovery looks at it.
        `touch "${dir}/store/abort"`,
        `cd "${dir}/store/commitlog"`,
        `last=$(ls | tail -1)`,
        `truncate -s ${1 << 20} $(printf %020d $(expr "$last" + ${1 << 20}))`,
        // The stop released some pages; something else takes them.
        `cat /dev/zero > "${dir}/filler" 2>/dev/null || true`,
        `${node} reopen workers`,
      ].join('\n');
      // A child killed by SIGBUS makes the script fail with status 135, and this call throw.
      const out = execFileSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
      const [fill, clean, crash] = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(fill!.refused).toMatch(/^14: cannot back .*commitlog.* disk full/);
      const acked = fill!.acked as number;
      expect(acked).toBeGreaterThan(1000);
      expect(clean).toMatchObject({ abnormal: false, readable: acked, q0: 24, foundNever: 0, foundStored: 1 });
      expect(clean!.refused).toMatch(/^14: /);
      // After a crash the index is rebuilt, which a full disk may stop: lookups still answer.
      expect(crash).toMatchObject({ abnormal: true, readable: acked, q0: 24, foundNever: 0 });
      expect(crash!.refused).toMatch(/^14: /);
    } finally {
      cleanup();
    }
  });
});
