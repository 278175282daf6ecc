import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { StoreError } from './errors.js';
import { FlockAgent, type FlockLease, type FlockOutcome } from './flock-agent.js';

/**
 * One store per store directory, as RocketMQ's DefaultMessageStore.start ensures with a tryLock
 * on `<storePathRootDir>/lock` ("Lock failed,MQ already started"). Without it a second store on
 * the same directory (the same broker conf started twice, a program that opens its store again
 * before the first shutdown finished) runs crash recovery on files a live store is writing and,
 * on its way out, deletes that store's abort marker, so the live store's next crash would be
 * recovered as a clean stop.
 *
 * Node has no flock, and a pid file goes stale when a process is killed. Two guards, both
 * released by the kernel when the holder exits, however it exits: an abstract-namespace Unix
 * socket named after the store's real path (binding it is atomic and fails within one process as
 * across processes, but only within one network namespace), and a flock on the `lock` file held
 * by this process's flock helper (seen across namespaces, as two containers that mount one volume
 * would be; see FlockAgent). The `lock` file (RocketMQ's name) also records the holder's pid for
 * the error message.
 */
/** RocketMQ's name for it. */
const LOCK_FILE = 'lock';

export class StoreLock {
  private constructor(
    private readonly server: Server | null,
    private readonly flock: FlockLease | null,
    /** Why the flock guard is off (no bash or flock command, a filesystem without flock), if it is. */
    readonly flockUnavailable: string | null,
  ) {}

  /**
   * Takes the lock on `root` (an existing directory) or throws StoreError STORE_LOCKED naming the
   * holder. `onFlockLost` hears it if the flock is lost while held (its helper was killed).
   */
  static async acquire(root: string, onFlockLost: (reason: string) => void): Promise<StoreLock> {
    // Abstract sockets are Linux-only; elsewhere run unguarded rather than refuse to start.
    if (process.platform !== 'linux') return new StoreLock(null, null, 'not Linux');
    const real = realpathSync(root);
    const name = `\0rocketmq-ts-store-${createHash('sha256').update(real).digest('hex')}`;
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(name, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw new StoreError('STORE_LOCKED', `cannot lock store ${real}`, { cause: e });
      }
      // No cause: EADDRINUSE on a socket named by a hash would only puzzle whoever reads this.
      throw inUse(real);
    }
    // Only a lock: it must not keep a process alive that has nothing else left to do.
    server.unref();
    // The socket answers at once within this network namespace; the flock also across namespaces.
    const taken = await takeFlock(join(real, LOCK_FILE), onFlockLost);
    if ('conflict' in taken) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw inUse(real);
    }
    try {
      // In place, never by rename: the flock is on this file.
      writeFileSync(join(real, LOCK_FILE), `${process.pid}\n`);
    } catch {
      // The pid is only informational.
    }
    return 'held' in taken ? new StoreLock(server, taken.held, null) : new StoreLock(server, null, taken.unavailable);
  }

  async release(): Promise<void> {
    await this.flock?.release();
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function takeFlock(path: string, onLost: (reason: string) => void): Promise<FlockOutcome> {
  try {
    return await FlockAgent.lock(path, onLost);
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
}

function inUse(root: string): StoreError {
  const holder = readHolder(root);
  return new StoreError(
    'STORE_LOCKED',
    `store ${root} is in use by another broker or store${holder ? ` (pid ${holder})` : ''}: stop it first, or give this one its own storePathRootDir`,
  );
}

function readHolder(root: string): string | null {
  try {
    const pid = readFileSync(join(root, LOCK_FILE), 'utf8').trim();
    return /^\d+$/.test(pid) ? pid : null;
  } catch {
    return null;
  }
}
