import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from './store-paths.js';

/** The first ```ts block of README.md after the line starting with `after`. */
export function readmeBlock(after: string): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(after);
  if (at < 0) throw new Error(`README.md has no "${after}"`);
  const code = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  if (code === undefined) throw new Error(`README.md has no ts block after "${after}"`);
  return code;
}

/**
 * A scratch application directory with this package installed under its name (a node_modules
 * symlink), so README examples run with their documented imports. `write` puts a program in it.
 */
export function scratchApp(): { dir: string; write(name: string, code: string): string; cleanup(): void } {
  const { dir, cleanup } = tempDir('readme-app-');
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'rocketmq-ts'));
  return {
    dir,
    cleanup,
    write(name, code) {
      const path = join(dir, name);
      writeFileSync(path, code);
      return path;
    },
  };
}
