import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Exclusive flock(2)s for this process, held by one bash helper: Node has neither flock nor
 * fcntl. Unlike the store's abstract Unix socket, a flock is seen across network and pid
 * namespaces (two containers that mount one volume), as RocketMQ's FileChannel.tryLock is.
 *
 * The helper opens each lock file on a descriptor of its own and runs util-linux's `flock -n` on
 * it; the lock belongs to that open file, which only the helper keeps, so it lasts until the
 * helper closes the descriptor (release) or exits. It exits when its input pipe closes, which
 * happens however this process ends, SIGKILL included. One helper per process (not one per
 * lock): a process that opens many stores forks once. It runs in a process group of its own, so a
 * Ctrl-C at the terminal does not drop the locks while the broker is still shutting down.
 *
 * Requests are NUL-separated (`lock\0PATH\0`, `unlock\0FD\0`, so any path passes), answers one
 * line each, in order.
 */
const SCRIPT = `
while IFS= read -r -d '' op && IFS= read -r -d '' arg; do
  case $op in
    lock)
      if { exec {fd}>>"$arg"; } 2>/dev/null; then
        flock --exclusive --nonblock --conflict-exit-code 75 "$fd"; rc=$?
        if [ "$rc" = 0 ]; then echo "held $fd"
        else
          exec {fd}>&-
          if [ "$rc" = 75 ]; then echo conflict; else echo "unavailable: flock exited with $rc"; fi
        fi
      else echo "unavailable: cannot open the lock file"; fi ;;
    unlock) fd=$arg; exec {fd}>&-; echo released ;;
    *) echo "unavailable: unknown request" ;;
  esac
done
`;

/** How long a lock may take to answer (a hung network filesystem) before the store goes without it. */
const ANSWER_TIMEOUT_MS = 10_000;

export type FlockOutcome = { held: FlockLease } | { conflict: true } | { unavailable: string };

export interface FlockLease {
  release(): Promise<void>;
}

interface Pending {
  answer: (line: string) => void;
  /** Given up on by its caller (timed out): a late "held" is released at once. */
  abandoned: boolean;
}

export class FlockAgent {
  private static current: FlockAgent | null = null;
  private readonly pending: Pending[] = [];
  private buffered = '';
  /** Why the helper is gone, once it is: its descriptors, and the locks on them, are gone too. */
  private gone: string | null = null;
  /** What to tell the holder of each lock (by descriptor) if the helper dies holding it. */
  private readonly holders = new Map<string, (reason: string) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('error', (e) => this.end(e.message));
    child.on('exit', (code, signal) => this.end(`the flock helper exited (${signal ?? code})`));
    // A write to a helper that died fails with EPIPE: that is its end, not this process's.
    child.stdin!.on('error', (e) => this.end(e.message));
    child.stdout!.on('error', (e) => this.end(e.message));
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.read(d));
    // Locks must not keep alive a process that has nothing else left to do.
    child.unref();
    this.idle();
  }

  /** This process's helper, started on first use (again if the last one died). */
  private static shared(): FlockAgent {
    if (FlockAgent.current && FlockAgent.current.gone === null) return FlockAgent.current;
    // A missing bash arrives as an 'error' event (the lock is then unavailable); spawn throws
    // only where the process cannot fork at all.
    // --norc: Node's stdio pipes are socketpairs, and a bash whose input is a socket takes itself
    // for a remote shell and sources ~/.bashrc (pyenv, nvm: 600 ms on the bench machine, more
    // than the rest of a broker's start). Only PATH, to find flock: no BASH_ENV either.
    const child = spawn('bash', ['--noprofile', '--norc', '-c', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'], detached: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    FlockAgent.current = new FlockAgent(child);
    return FlockAgent.current;
  }

  /**
   * Takes an exclusive flock on `path` (created if missing) without waiting for another holder,
   * through this process's helper; a helper found dead on the way is replaced once. `onLost`
   * hears why if the helper dies while the lock is held (someone killed it).
   */
  static async lock(path: string, onLost: (reason: string) => void): Promise<FlockOutcome> {
    const agent = FlockAgent.shared();
    const outcome = await agent.lock(path, onLost);
    return 'unavailable' in outcome && agent.gone !== null ? FlockAgent.shared().lock(path, onLost) : outcome;
  }

  private async lock(path: string, onLost: (reason: string) => void): Promise<FlockOutcome> {
    const line = await this.ask('lock', path, ANSWER_TIMEOUT_MS);
    if (line.startsWith('held ')) {
      const fd = line.slice('held '.length);
      this.holders.set(fd, onLost);
      return { held: { release: () => this.unlock(fd) } };
    }
    if (line === 'conflict') return { conflict: true };
    return { unavailable: line.replace(/^unavailable: /, '') };
  }

  private async unlock(fd: string): Promise<void> {
    // A dead helper took its locks with it, and a new one's descriptor numbers are not ours.
    if (this.gone !== null) return;
    this.holders.delete(fd);
    await this.ask('unlock', fd, ANSWER_TIMEOUT_MS);
  }

  private ask(op: string, arg: string, timeoutMs: number): Promise<string> {
    if (this.gone !== null) return Promise.resolve(`unavailable: ${this.gone}`);
    return new Promise((resolve) => {
      const p: Pending = {
        abandoned: false,
        answer: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        p.abandoned = true;
        resolve(`unavailable: no answer from the flock helper within ${timeoutMs} ms`);
      }, timeoutMs);
      timer.unref();
      this.pending.push(p);
      this.busy();
      this.child.stdin!.write(`${op}\0${arg}\0`);
    });
  }

  private read(chunk: string): void {
    this.buffered += chunk;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const p = this.pending.shift();
      if (!p) continue;
      if (!p.abandoned) p.answer(line);
      else if (line.startsWith('held ')) void this.unlock(line.slice('held '.length));
    }
    if (this.pending.length === 0) this.idle();
  }

  private end(reason: string): void {
    if (this.gone !== null) return;
    this.gone = reason;
    for (const p of this.pending.splice(0)) if (!p.abandoned) p.answer(`unavailable: ${reason}`);
    for (const lost of this.holders.values()) lost(reason);
    this.holders.clear();
    this.idle();
  }

  /** While an answer is awaited the pipe keeps the process alive, so an awaited start is not cut short. */
  private busy(): void {
    (this.child.stdout as unknown as { ref?: () => void }).ref?.();
    (this.child.stdin as unknown as { ref?: () => void }).ref?.();
  }

  private idle(): void {
    (this.child.stdout as unknown as { unref?: () => void }).unref?.();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }
}
