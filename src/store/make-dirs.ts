import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * mkdir -p, one level at a time. Node 20's `mkdirSync(dir, { recursive: true })` never returns
 * where a directory cannot be created but its parent exists (procfs answers ENOENT): a store or a
 * log directory configured under /proc spun the process silently before it printed anything.
 * Here the failing level's error is thrown, naming it.
 */
export function makeDirs(dir: string): void {
  const parent = dirname(dir);
  if (parent !== dir && !existsSync(parent)) makeDirs(parent);
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
