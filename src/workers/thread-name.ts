import { writeFileSync } from 'node:fs';

/**
 * Names the calling thread (Linux: 15 bytes of /proc/thread-self/comm), so `top -H`, `ps -L`,
 * `perf` and core dumps tell the broker's helper threads apart; every worker is "node" otherwise.
 * Purely cosmetic: where /proc is missing nothing happens.
 */
export function nameThisThread(name: string): void {
  try {
    writeFileSync('/proc/thread-self/comm', name.slice(0, 15));
  } catch {
    // not Linux, or /proc not mounted
  }
}
