import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryMessageStore, type MessageStore } from '../../src/store/index.js';
import { brokerSettings } from '../../src/net/broker/broker-config.js';
import { BrokerController } from '../../src/net/broker/broker-controller.js';
import { RequestCode } from '../../src/net/codes.js';
import { silentLogger } from '../../src/net/logger.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { brokerPort, freePort, repoRoot, waitFor } from '../net/helpers.js';

export { brokerPort, repoRoot, waitFor };

type Values = Record<string, string | number | boolean>;
type Ext = Record<string, string | number | boolean | undefined | null>;

const scratch: string[] = [];

/** A scratch directory, removed by `removeTempDirs` (test files that keep one for all their tests call it in `afterAll`). */
export function tempDir(prefix = 'broker-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A broker started in this process on an ephemeral loopback port, with a client talking to it. */
export interface TestBroker {
  controller: BrokerController;
  client: RemotingClient;
  addr: string;
  dir: string;
  invoke(code: number, ext?: Ext, body?: Buffer, timeoutMs?: number): Promise<RemotingCommand>;
  close(): Promise<void>;
}

/** Small files so tests stay light; `memory` uses MemoryMessageStore instead of files. */
export async function startTestBroker(values: Values = {}, opts: { memory?: boolean } = {}): Promise<TestBroker> {
  const dir = tempDir();
  const settings = brokerSettings(new Map(), {
    values: {
      brokerName: 'test-broker',
      brokerClusterName: 'TestCluster',
      brokerIP1: '127.0.0.1',
      bindAddress: '127.0.0.1',
      listenPort: 0,
      namesrvAddr: '',
      storePathRootDir: dir,
      mappedFileSizeCommitLog: 4 * 1024 * 1024,
      mappedFileSizeConsumeQueue: 6000,
      maxHashSlotNum: 1024,
      maxIndexNum: 4096,
      ...values,
    },
  });
  const store: MessageStore | undefined = opts.memory ? new MemoryMessageStore(settings.store, { storeHost: '127.0.0.1:0' }) : undefined;
  const controller = new BrokerController(settings, { logger: silentLogger, store });
  await controller.start();
  const client = new RemotingClient();
  const addr = `127.0.0.1:${controller.port}`;
  let closed = false;
  return {
    controller,
    client,
    addr,
    dir,
    invoke: (code, ext, body, timeoutMs = 5000) => client.invoke(addr, RemotingCommand.createRequest(code, ext, body), timeoutMs),
    close: async () => {
      if (closed) return;
      closed = true;
      client.close();
      await controller.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** SEND_MESSAGE_V2 header with short field names, as ali-ons and Java clients send it. */
export function sendV2Header(topic: string, opts: { queueId?: number; properties?: string; sysFlag?: number; group?: string } = {}): Ext {
  return {
    a: opts.group ?? 'TestProducer',
    b: topic,
    c: 'TBW102',
    d: 4,
    e: opts.queueId ?? 0,
    f: opts.sysFlag ?? 0,
    g: Date.now(),
    h: 0,
    i: opts.properties,
    j: 0,
    k: false,
  };
}

export function props(p: Record<string, string>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}\u0001${v}`)
    .join('\u0002');
}

export async function createTopic(tb: { invoke: TestBroker['invoke'] }, topic: string, queues = 4): Promise<RemotingCommand> {
  return tb.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic,
    defaultTopic: 'TBW102',
    readQueueNums: queues,
    writeQueueNums: queues,
    perm: 6,
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: 0,
    order: false,
  });
}

/** PULL_MESSAGE header; `sysFlag` defaults to SUBSCRIPTION (no suspend, no commit). */
export function pullHeader(topic: string, group: string, queueId: number, queueOffset: number, o: { sysFlag?: number; subscription?: string; suspendMs?: number; commitOffset?: number; maxMsgNums?: number } = {}): Ext {
  return {
    consumerGroup: group,
    topic,
    queueId,
    queueOffset,
    maxMsgNums: o.maxMsgNums ?? 32,
    sysFlag: o.sysFlag ?? 0x4,
    commitOffset: o.commitOffset ?? 0,
    suspendTimeoutMillis: o.suspendMs ?? 0,
    subscription: o.subscription ?? '*',
    subVersion: 0,
  };
}

/** A spawned node process with its output captured; every one is killed by `killAllProcesses`. */
export class Proc {
  private static readonly live = new Set<Proc>();
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';

  /** Runs `node <repo>/<script>`, or the executable `script` itself when `exec` is set (bin/ launchers). */
  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}, exec = false) {
    const [cmd, argv] = exec ? [script, args] : [process.execPath, [join(repoRoot, script), ...args]];
    this.child = spawn(cmd, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NAMESRV_ADDR: '', ...env },
    });
    this.child.stdout!.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    Proc.live.add(this);
    this.child.once('exit', () => Proc.live.delete(this));
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const m = await waitFor(() => this.output.match(pattern) ?? (this.child.exitCode !== null ? failExit(this) : null), timeoutMs, `output ${pattern}`);
    return m!;
  }

  exited(): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve(this.child.exitCode);
      else this.child.once('exit', (code) => resolve(code));
    });
  }

  static killAll(): void {
    for (const p of Proc.live) p.child.kill('SIGKILL');
    Proc.live.clear();
  }
}

function failExit(p: Proc): never {
  throw new Error(`process exited with ${p.child.exitCode}:\n${p.output}`);
}

/** Starts `node dist/src/broker.js -c conf` and waits for its ready line. */
export async function spawnBroker(conf: string, extraArgs: string[] = []): Promise<{ proc: Proc; ready: Record<string, unknown> }> {
  const proc = new Proc('dist/src/broker.js', ['-c', conf, ...extraArgs]);
  const m = await proc.waitForOutput(/^(\{"event":"broker-ready".*\})$/m, 15_000);
  return { proc, ready: JSON.parse(m[1]!) as Record<string, unknown> };
}

export async function spawnNamesrv(dir: string, extra = ''): Promise<{ proc: Proc; addr: string }> {
  const port = await freePort();
  const conf = join(dir, `namesrv-${port}.properties`);
  writeFileSync(conf, `listenPort=${port}\nbindAddress=127.0.0.1\nkvConfigPath=${join(dir, 'kv.json')}\n${extra}`);
  const proc = new Proc('dist/src/namesrv.js', ['-c', conf]);
  await proc.waitForOutput(/boot success/);
  return { proc, addr: `127.0.0.1:${port}` };
}

/** A broker .properties text for a spawned broker on `port` with its store under `dir`. */
export function brokerConf(port: number, dir: string, namesrvAddr: string, extra: Values = {}): string {
  const lines: Values = {
    brokerClusterName: 'ProcCluster',
    brokerName: 'proc-broker',
    brokerIP1: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: port,
    namesrvAddr,
    storePathRootDir: join(dir, 'store'),
    mappedFileSizeCommitLog: 4 * 1024 * 1024,
    mappedFileSizeConsumeQueue: 6000,
    maxHashSlotNum: 1024,
    maxIndexNum: 4096,
    ...extra,
  };
  return Object.entries(lines).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}
