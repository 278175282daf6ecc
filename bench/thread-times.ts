/**
 * Where a benchmark's CPU went, per thread of this process, and how long each thread was ready
 * to run but waited for a CPU. On the 2-core bench VM that wait, not the code, sets the dispatch
 * lag tail and caps what moving work to worker threads can gain; printing it with every run
 * shows which of the two a result is. Linux only (/proc); elsewhere every figure is 0.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Thread roles reported separately; every other thread (V8's and libuv's helpers) is "other". */
export const ROLES = ['main', 'rmq-dispatch', 'rmq-index', 'rmq-populator', 'other'] as const;
export type Role = (typeof ROLES)[number];

interface Sample {
  role: Role;
  /** schedstat: time on a CPU and time runnable but waiting for one, both in ns. */
  runNs: number;
  waitNs: number;
  /** stat: time in the kernel (clock ticks) and minor page faults, which on a VM is mostly the same thing. */
  sysTicks: number;
  minFaults: number;
}

export interface ThreadSnapshot {
  threads: Map<number, Sample>;
  /** /proc/stat: busy and total jiffies of the whole machine. */
  busy: number;
  total: number;
}

export interface ThreadUsage {
  cpuMs: Record<Role, number>;
  waitMs: Record<Role, number>;
  /** Of cpuMs, the part spent in the kernel (page faults, madvise, futexes). */
  sysMs: Record<Role, number>;
  minFaults: Record<Role, number>;
  /** Share of all CPUs' time the machine was busy between the snapshots (0..1). */
  machineBusy: number;
}

/** USER_HZ: 100 on every Linux this runs on (sysconf is not reachable from Node). */
const TICKS_PER_SECOND = 100;

function roleOf(tid: number, comm: string): Role {
  if (tid === process.pid) return 'main';
  return (ROLES as readonly string[]).includes(comm) ? (comm as Role) : 'other';
}

function readSample(tid: number): Sample | null {
  try {
    const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
    const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
    // Fields after the parenthesised comm: state is [0], minflt [7], stime [12].
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { role: roleOf(tid, comm), runNs: Number(run), waitNs: Number(wait), sysTicks: Number(f[12]), minFaults: Number(f[7]) };
  } catch {
    return null; // the thread ended between the listing and the read
  }
}

function machineJiffies(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3]! - (f[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export function threadSnapshot(): ThreadSnapshot {
  const threads = new Map<number, Sample>();
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    // not Linux
  }
  for (const t of tids) {
    const s = readSample(Number(t));
    if (s) threads.set(Number(t), s);
  }
  return { threads, ...machineJiffies() };
}

/**
 * CPU and run-queue wait per role between two snapshots. A thread that started in between counts
 * from zero; one that ended in between is missing from `after` and counts nothing, so take the
 * second snapshot before stopping the workers.
 */
export function threadUsage(before: ThreadSnapshot, after: ThreadSnapshot): ThreadUsage {
  const cpuMs = Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<Role, number>;
  const waitMs = { ...cpuMs };
  const sysMs = { ...cpuMs };
  const minFaults = { ...cpuMs };
  for (const [tid, a] of after.threads) {
    const b = before.threads.get(tid);
    cpuMs[a.role] += (a.runNs - (b?.runNs ?? 0)) / 1e6;
    waitMs[a.role] += (a.waitNs - (b?.waitNs ?? 0)) / 1e6;
    sysMs[a.role] += ((a.sysTicks - (b?.sysTicks ?? 0)) * 1000) / TICKS_PER_SECOND;
    minFaults[a.role] += a.minFaults - (b?.minFaults ?? 0);
  }
  const total = after.total - before.total;
  return { cpuMs, waitMs, sysMs, minFaults, machineBusy: total > 0 ? (after.busy - before.busy) / total : 0 };
}

/** The usage as flat result fields: `mainCpuMs`, `mainWaitMs`, `dispatchCpuMs`, ..., `machineBusy`. */
export function usageFields(u: ThreadUsage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of ROLES) {
    const k = r === 'main' || r === 'other' ? r : r.slice(4);
    out[`${k}CpuMs`] = u.cpuMs[r];
    out[`${k}WaitMs`] = u.waitMs[r];
    out[`${k}SysMs`] = u.sysMs[r];
    out[`${k}Faults`] = u.minFaults[r];
  }
  out.machineBusy = u.machineBusy;
  return out;
}
