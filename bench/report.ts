/**
 * Shared output and measurement helpers for the benchmarks: JSON result lines tagged with the git
 * commit, a plain-text table, anonymous-memory sampling from /proc/self/status, argument parsing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One benchmark result: a name and numbers (or short strings), printed as one JSON line. */
export type Result = { bench: string } & Record<string, number | string | boolean | null | undefined>;

const commitCache = new Map<string, { commit: string; dirty: boolean }>();

/**
 * Short hash of HEAD, and whether the given paths differ from it (results from an uncommitted
 * tree are flagged so they are not mistaken for the commit's numbers).
 */
export function gitCommit(paths: string[] = ['src', 'bench']): { commit: string; dirty: boolean } {
  const key = paths.join('\0');
  const cached = commitCache.get(key);
  if (cached) return cached;
  let commit = 'unknown';
  let dirty = false;
  // Run git where this file lives (dist/bench or bench), whatever the working directory.
  const git = { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], git).trim();
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], git).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', ...paths], { ...git, cwd: top });
    dirty = status.trim().length > 0;
  } catch {
    // Not a git checkout (e.g. an installed package): leave "unknown".
  }
  const tag = { commit, dirty };
  commitCache.set(key, tag);
  return tag;
}

/**
 * Prints one result as a JSON line: `{"bench":…,…,"commit":…}`, plus `"dirty":true` when the
 * paths the benchmark exercises differ from that commit.
 */
export function printJson(r: Result, dirtyPaths?: string[]): void {
  const { commit, dirty } = gitCommit(dirtyPaths);
  const line: Record<string, unknown> = { ...r, commit };
  if (dirty) line.dirty = true;
  console.log(JSON.stringify(line, (_k, v: unknown) => (typeof v === 'number' ? round(v) : v)));
}

/** Rounds for display and JSON: 4 significant digits below 1000, integers above. */
export function round(v: number): number {
  if (!Number.isFinite(v)) return v;
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v);
  if (a === 0) return 0;
  return Number(v.toPrecision(4));
}

/** Prints rows as an aligned text table; columns are the union of the rows' keys, in order. */
export function printTable(title: string, rows: Record<string, unknown>[]): void {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'number' ? String(round(v)) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cols));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

/** RssAnon of this process in bytes (0 where /proc is unavailable). Mapped file pages are not in it. */
export function rssAnonBytes(): number {
  try {
    const m = /^RssAnon:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export const MB = 1024 * 1024;

/**
 * Samples RssAnon on a timer (every `intervalMs`) while a phase runs. The timer only fires when
 * the phase yields to the event loop, so phases may call `sample()` at their checkpoints too.
 * Phases interleaved with others `pause()` and `resume()` their sampler so each sees only its
 * own slices. `peak` is the largest value seen, `last` the most recent.
 */
export class RssSampler {
  peak = 0;
  last = 0;
  samples = 0;
  private active = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs = 100) {}

  start(): this {
    this.peak = 0;
    this.samples = 0;
    this.timer = setInterval(() => {
      if (this.active) this.sample();
    }, this.intervalMs);
    return this.resume();
  }

  resume(): this {
    this.active = true;
    this.sample();
    return this;
  }

  pause(): this {
    this.sample();
    this.active = false;
    return this;
  }

  sample(): number {
    const v = rssAnonBytes();
    this.last = v;
    this.samples++;
    if (v > this.peak) this.peak = v;
    return v;
  }

  /** Stops sampling after a final sample; returns { peakMB, endMB }. */
  stop(): { peakMB: number; endMB: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.active) this.sample();
    this.active = false;
    return { peakMB: this.peak / MB, endMB: this.last / MB };
  }
}

/** Runs a full collection when the process was started with --expose-gc (twice: finalizers free mappings). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/** Yields to the event loop (timers, I/O callbacks) once. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Minimal `--name value` / `--flag` parser: returns the value of `--name`, or undefined. */
export function argValue(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

/** A bad command line: reported without a stack trace, exit code 2. */
export class UsageError extends Error {}

/** Every `--name KEY=VALUE` (repeatable) as an object; throws on a value without `=`. */
export function argProps(argv: string[], name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== `--${name}`) continue;
    const kv = argv[++i] ?? '';
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name} expects KEY=VALUE, got ${JSON.stringify(kv)}`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}

/**
 * The start of a benchmark's command line handling: `--help` or `-h` prints `usage` and exits 0;
 * an argument that is none of `valued` (`--name VALUE` or `--name=VALUE`) or `flags` (`--name`)
 * prints what was wrong and `usage` and exits 2, before anything is started: a typo must not cost
 * a full run measured with the defaults.
 */
export function checkArgs(argv: string[], usage: string, known: { valued: string[]; flags?: string[] }): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : '';
    if (known.flags?.includes(name) && !a.includes('=')) continue;
    if (known.valued.includes(name)) {
      if (!a.includes('=') && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--'))) return usageExit(`${a} needs a value`, usage);
      if (!a.includes('=')) i++;
      continue;
    }
    return usageExit(`unknown argument ${a}`, usage);
  }
}

function usageExit(problem: string, usage: string): never {
  console.error(`${problem}\n${usage}`);
  process.exit(2);
}

export function argFlag(argv: string[], name: string): boolean {
  return argv.includes(`--${name}`);
}

/** A positive number argument, or the default; throws on garbage so typos do not pass silently. */
export function argNumber(argv: string[], name: string, dflt: number): number {
  const v = argValue(argv, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got ${JSON.stringify(v)}`);
  return n;
}

/** Percentile (0..100) of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A store benchmark's numbers mean nothing once a put has failed: stop at the first. */
export function checkPut(r: { status: string }): void {
  if (r.status !== 'PUT_OK') throw new Error(`putMessage returned ${r.status}`);
}
