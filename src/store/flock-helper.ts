import { spawn, type ChildProcess } from 'node:child_process';

/** flock(1)'s exit code when the lock is taken (-E): EX_TEMPFAIL, unlike its other failures. */
const CONFLICT_EXIT = 75;
/** How long the helper may take to start and answer before the guard is given up. */
const START_TIMEOUT_MS = 5000;

export type FlockResult = { held: FlockHelper } | { conflict: true } | { unavailable: string };

/**
 * An exclusive flock(2) on a file, held by util-linux's `flock` command for as long as this
 * process keeps a pipe to it open: Node has no flock or fcntl. Unlike an abstract Unix socket it
 * is seen across network and pid namespaces (two containers that mount one volume) and, through
 * NFS, across hosts, as RocketMQ's FileChannel.tryLock is. The helper runs `cat` on the pipe:
 * when this process exits, however it exits, the pipe closes, `cat` and `flock` end, and the
 * kernel drops the lock. Where `flock` is missing or the filesystem refuses it, there is no guard.
 */
export class FlockHelper {
  private constructor(private readonly child: ChildProcess) {}

  static take(path: string): Promise<FlockResult> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn('flock', ['--exclusive', '--nonblock', '--conflict-exit-code', String(CONFLICT_EXIT), path, '--command', 'echo locked && exec cat >/dev/null'], {
          stdio: ['pipe', 'pipe', 'pipe'],
          // Its own process group: a Ctrl-C meant for the broker must not drop the lock while the
          // broker is still shutting down. The pipe ends it when this process ends.
          detached: true,
        });
      } catch (e) {
        resolve({ unavailable: (e as Error).message });
        return;
      }
      let settled = false;
      let stderr = '';
      const settle = (r: FlockResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout!.destroy();
        child.stderr!.destroy();
        if (!('held' in r)) child.kill('SIGKILL');
        resolve(r);
      };
      const timer = setTimeout(() => settle({ unavailable: `flock did not answer within ${START_TIMEOUT_MS} ms` }), START_TIMEOUT_MS);
      child.once('error', (e) => settle({ unavailable: e.message }));
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        if (!d.toString().startsWith('locked')) return;
        // Held: neither the helper nor its pipe may keep this process alive.
        child.unref();
        (child.stdin as unknown as { unref?: () => void }).unref?.();
        settle({ held: new FlockHelper(child) });
      });
      child.once('exit', (code) => {
        if (code === CONFLICT_EXIT) settle({ conflict: true });
        else settle({ unavailable: `flock exited with ${code}${stderr ? `: ${stderr.trim()}` : ''}` });
      });
    });
  }

  /** Drops the lock: the helper reads the end of its input and exits. Resolves once it has. */
  release(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin!.end();
    });
  }
}
