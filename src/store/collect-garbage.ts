import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection of this thread's heap. Mappings are only released by garbage
 * collection (the mmap binding has no unmap), and a deleted segment keeps its disk blocks while
 * mapped: an idle store, whose heap barely grows, could hold hundreds of megabytes of deleted
 * files for as long as it ran (measured: seven deleted 64 MiB segments still mapped 45 s after
 * their deletion, and `df` unchanged). The retention pass asks for one after it deleted mapped
 * files. A collection frees only what nothing references, so a read in flight stays safe.
 *
 * Without `--expose-gc`, the gc function comes from a context created while the flag is briefly
 * set (the flag only decides whether new contexts get it); null where even that fails.
 */
let gc: (() => void) | null | undefined;

export function collectGarbage(): boolean {
  if (gc === undefined) gc = obtainGc();
  if (gc === null) return false;
  gc();
  return true;
}

let soon: NodeJS.Timeout | null = null;

/**
 * collectGarbage in a task of its own, where no frame of the caller still holds what it just
 * let go of; calls within `delayMs` share one collection (deleting 40 topics is one, not 40).
 */
export function collectGarbageSoon(delayMs = 100): void {
  if (soon !== null) return;
  soon = setTimeout(() => {
    soon = null;
    collectGarbage();
  }, delayMs);
  soon.unref();
}

function obtainGc(): (() => void) | null {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
