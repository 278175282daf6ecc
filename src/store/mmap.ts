import { closeSync, openSync } from 'node:fs';
import mmapModule from '@riaskov/mmap-io';
import { StoreError } from './errors.js';
import { isMapLimitError } from './file-budget.js';

/**
 * The mmap binding. Its typings declare an ES default export while the package is CommonJS, so
 * under NodeNext the default import is typed as the module namespace; at run time `default` is
 * the binding itself. One place resolves that for the whole code base.
 */
type Binding = (typeof mmapModule)['default'];
const mod = mmapModule as unknown as { default?: Binding } & Binding;
export const mmap: Binding = mod.default ?? mod;

/**
 * Maps a whole file MAP_SHARED, read-write unless `readOnly`. A filesystem that turned read-only
 * (EROFS), or a descriptor that no longer allows writing, refuses a writable mapping: the file is
 * then mapped for reading only, and `readOnly` in the result says so (the caller must not write).
 */
export function mapShared(path: string, fd: number, size: number, readOnly: boolean): { buffer: Buffer; readOnly: boolean } {
  try {
    const prot = (readOnly ? mmap.PROT_READ : mmap.PROT_READ | mmap.PROT_WRITE) as 1 | 3;
    return { buffer: mmap.map(size, prot, mmap.MAP_SHARED, fd, 0), readOnly };
  } catch (e) {
    if (readOnly || !/mmap failed, (30|13|1)$/.test((e as Error).message)) {
      const hint = isMapLimitError(e) ? ' (out of memory mappings or address space: check vm.max_map_count and ulimit -v)' : '';
      throw new StoreError('CREATE_MAPPED_FILE_FAILED', `cannot map ${path}${hint}`, { cause: e });
    }
    // Through a read-only descriptor: a shared mapping of a writable one may be made writable
    // later, which the read-only filesystem refuses even for PROT_READ.
    const ro = openSync(path, 'r');
    try {
      return mapShared(path, ro, size, true);
    } finally {
      closeSync(ro);
    }
  }
}
