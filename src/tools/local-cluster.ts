import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemotingClient } from '../net/remoting-client.js';
import { belowEphemeralPorts, freeBrokerPort } from '../net/free-port.js';
import { RemotingCommand } from '../net/remoting-command.js';
import { RequestCode, ResponseCode } from '../net/codes.js';
import { parseClusterInfo } from '../net/client/route.js';

/**
 * A NameServer and a broker as child processes of this one, on ephemeral loopback ports, with a
 * fresh store in a temp directory: what the end-to-end benchmark and the client integration tests
 * run against. Each process is started from the compiled tree (dist/src/namesrv.js,
 * dist/src/broker.js) and announces its address on stdout; we wait for that, then for the broker
 * to appear in the NameServer's cluster table. Children are killed when this process exits.
 */
export interface LocalClusterOptions {
  /** Root for the store and config files; a fresh temp dir by default (removed by stop()). */
  dir?: string;
  flushDiskType?: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  /** Extra broker/store keys (small segment sizes for tests, ...). */
  brokerProps?: Record<string, string | number | boolean>;
  namesrvProps?: Record<string, string | number | boolean>;
  /** Receives every line the children print (default: kept only for error messages). */
  onLine?: (who: 'namesrv' | 'broker', line: string) => void;
  timeoutMs?: number;
  /** Extra node flags for the broker process (e.g. --cpu-prof for profiling). */
  brokerNodeArgs?: string[];
}

export interface LocalCluster {
  readonly dir: string;
  readonly namesrvAddr: string;
  readonly brokerAddr: string;
  readonly brokerName: string;
  readonly clusterName: string;
  readonly namesrvPid: number;
  brokerPid: number;
  /** From spawning the broker to its ready announcement. */
  brokerStartToReadyMs: number;
  /** Kernel-reported anonymous memory of the broker (RssAnon), in MiB; null if unreadable. */
  brokerRssAnonMB(): number | null;
  /** Stops the broker (SIGTERM, graceful) and starts it again on the same store and port. */
  restartBroker(): Promise<void>;
  /** Stops the broker (SIGTERM, graceful); `startBroker` brings it back on the same store and port. */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  /**
   * Starts a slave of the broker (same name, brokerId 1, brokerRole SLAVE) on a store of its own;
   * resolves once it is ready. `stop()` stops it too.
   */
  startSlave(props?: Record<string, string | number | boolean>): Promise<LocalSlave>;
  /** SIGTERM both (SIGKILL after a grace period), then removes the temp dir if we made it. */
  stop(): Promise<void>;
}

export interface LocalSlave {
  readonly addr: string;
  readonly pid: number;
  readonly storePathRootDir: string;
  /** SIGTERM (graceful). */
  stop(): Promise<void>;
  /** Starts it again on the same store and port (after a stop or a kill). */
  restart(): Promise<LocalSlave>;
}

const DIST_SRC = join(dirname(fileURLToPath(import.meta.url)), '..');
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

function propsText(p: Record<string, string | number | boolean>): string {
  return Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n';
}

interface Started {
  child: ChildProcess;
  match: RegExpExecArray;
  ms: number;
}

/** Spawns `node script -c conf` and resolves once a stdout line matches `ready`. */
function startProcess(who: 'namesrv' | 'broker', script: string, args: string[], ready: RegExp, opts: LocalClusterOptions, dir: string): Promise<Started> {
  installExitHook();
  const t0 = performance.now();
  const nodeArgs = who === 'broker' ? (opts.brokerNodeArgs ?? []) : [];
  // A throwaway cluster keeps its log files with its store, not in the user's ~/logs/rocketmqlogs.
  const env = { ...process.env, ROCKETMQ_TS_LOG_DIR: process.env.ROCKETMQ_TS_LOG_DIR ?? join(dir, 'logs') };
  const child = spawn(process.execPath, [...nodeArgs, join(DIST_SRC, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const tail: string[] = [];
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise<Started>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => fail(`no ready line within ${timeoutMs}ms`), timeoutMs);
    const fail = (why: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${who} failed to start: ${why}\n${tail.join('\n')}`));
    };
    const partial = { out: '', err: '' };
    const onLines = (stream: 'out' | 'err', chunk: Buffer): void => {
      const lines = (partial[stream] + chunk.toString('utf8')).split('\n');
      partial[stream] = lines.pop()!;
      for (const line of lines) {
        if (line === '') continue;
        opts.onLine?.(who, line);
        tail.push(line);
        if (tail.length > 40) tail.shift();
        const m = done ? null : ready.exec(line);
        if (m) {
          done = true;
          clearTimeout(timer);
          resolve({ child, match: m, ms: performance.now() - t0 });
        }
      }
    };
    child.stdout!.on('data', (c: Buffer) => onLines('out', c));
    child.stderr!.on('data', (c: Buffer) => onLines('err', c));
    child.once('exit', (code, signal) => fail(`exited (${code ?? signal})`));
  });
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** RssAnon of a process in MiB (Linux /proc), null elsewhere. */
export function rssAnonMB(pid: number): number | null {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function waitRegistered(namesrvAddr: string, brokerName: string, timeoutMs: number): Promise<void> {
  const client = new RemotingClient();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const res = await client.invoke(namesrvAddr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 2000).catch(() => null);
      if (res?.code === ResponseCode.SUCCESS && parseClusterInfo(res.body).brokerAddrTable.has(brokerName)) return;
      if (Date.now() > deadline) throw new Error(`broker ${brokerName} did not register with ${namesrvAddr} within ${timeoutMs}ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    client.close();
  }
}

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'rmq-local-'));
  const clusterName = 'LocalCluster';
  const brokerName = 'broker-local';
  writeFileSync(join(dir, 'namesrv.conf'), propsText({ listenPort: 0, bindAddress: '127.0.0.1', kvConfigPath: join(dir, 'kvConfig.json'), ...opts.namesrvProps }));
  const ns = await startProcess('namesrv', 'namesrv.js', ['-c', join(dir, 'namesrv.conf')], /listening on [^\s]*:(\d+)/, opts, dir);
  const namesrvAddr = `127.0.0.1:${ns.match[1]}`;
  const brokerConf = join(dir, 'broker.conf');
  const brokerProps = (port: number): Record<string, string | number | boolean> => ({
        brokerClusterName: clusterName,
        brokerName,
        brokerIP1: '127.0.0.1',
        bindAddress: '127.0.0.1',
        listenPort: port,
        namesrvAddr,
        storePathRootDir: join(dir, 'store'),
        flushDiskType: opts.flushDiskType ?? 'ASYNC_FLUSH',
        ...opts.brokerProps,
      });
  writeFileSync(brokerConf, propsText(brokerProps(await freeBrokerPort('127.0.0.1', { range: belowEphemeralPorts() }))));
  const slaves: ChildProcess[] = [];
  const startBroker = (): Promise<Started> => startProcess('broker', 'broker.js', ['-c', brokerConf], /^\{"event":"broker-ready".*\}$/, opts, dir);
  let broker: Started;
  try {
    broker = await startBroker();
  } catch (err) {
    await stopProcess(ns.child);
    throw err;
  }
  const ready = JSON.parse(broker.match[0]) as { brokerAddr: string };
  await waitRegistered(namesrvAddr, brokerName, opts.timeoutMs ?? 20_000);
  const cluster: LocalCluster = {
    dir,
    namesrvAddr,
    brokerAddr: ready.brokerAddr,
    brokerName,
    clusterName,
    namesrvPid: ns.child.pid!,
    brokerPid: broker.child.pid!,
    brokerStartToReadyMs: broker.ms,
    brokerRssAnonMB: () => rssAnonMB(broker.child.pid!),
    async restartBroker() {
      await cluster.stopBroker();
      await cluster.startBroker();
    },
    stopBroker: () => stopProcess(broker.child),
    async startBroker() {
      broker = await startBroker();
      cluster.brokerPid = broker.child.pid!;
      cluster.brokerStartToReadyMs = broker.ms;
      await waitRegistered(namesrvAddr, brokerName, opts.timeoutMs ?? 20_000);
    },
    async startSlave(props = {}) {
      const n = slaves.length + 1;
      const conf = join(dir, `broker-slave${n}.conf`);
      const storePathRootDir = join(dir, `store-slave${n}`);
      writeFileSync(conf, propsText({ ...brokerProps(await freeBrokerPort('127.0.0.1', { range: belowEphemeralPorts() })), brokerId: n, brokerRole: 'SLAVE', storePathRootDir, ...props }));
      const start = async (): Promise<LocalSlave> => {
        const s = await startProcess('broker', 'broker.js', ['-c', conf], /^\{"event":"broker-ready".*\}$/, opts, dir);
        slaves.push(s.child);
        const addr = (JSON.parse(s.match[0]) as { brokerAddr: string }).brokerAddr;
        return { addr, pid: s.child.pid!, storePathRootDir, stop: () => stopProcess(s.child), restart: start };
      };
      return start();
    },
    async stop() {
      await Promise.all(slaves.map((c) => stopProcess(c)));
      // The broker first, as operators do: it unregisters from a NameServer that is still there
      // (stopping both at once logged a failed unregistration at the end of every bench run).
      await stopProcess(broker.child);
      await stopProcess(ns.child);
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}
