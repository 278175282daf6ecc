import { cpSync, mkdtempSync, rmSync, chmodSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this compiled file (dist/test/helpers/ -> ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = join(REPO_ROOT, 'test/fixtures');

/** A fresh temp directory; `cleanup()` removes it. */
export function tempDir(prefix = 'rmq-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A writable copy of the store Apache RocketMQ 4.9 wrote (test/fixtures/rocketmq-4.9-store). */
export function copyRocketMqStore(dest: string): string {
  const root = join(dest, 'store');
  cpSync(join(FIXTURES, 'rocketmq-4.9-store'), root, { recursive: true });
  const walk = (p: string): void => {
    chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
    if (statSync(p).isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(root);
  return root;
}
