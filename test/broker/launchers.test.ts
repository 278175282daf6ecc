import { cpSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { Proc, brokerConf, brokerPort, repoRoot, tempDir, waitFor } from '../helpers/broker-harness.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  Proc.killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

describe('bin/mqbroker and bin/mqshutdown', () => {
  it('mqbroker execs the broker; mqshutdown broker stops exactly the brokers of its checkout, gracefully', async () => {
    // A private copy of the checkout, so mqshutdown cannot touch brokers other tests are running.
    const home = dir('mqshutdown-');
    cpSync(join(repoRoot, 'bin'), join(home, 'bin'), { recursive: true });
    cpSync(join(repoRoot, 'dist', 'src'), join(home, 'dist', 'src'), { recursive: true });
    cpSync(join(repoRoot, 'package.json'), join(home, 'package.json'));
    symlinkSync(join(repoRoot, 'node_modules'), join(home, 'node_modules'));
    const port = await brokerPort();
    const conf = join(home, 'broker.properties');
    writeFileSync(conf, brokerConf(port, home, ''));

    expect((await run(join(home, 'bin', 'mqshutdown'), ['broker']).catch((e: { code: number; stdout: string }) => e)).stdout).toContain('No mqbroker running');
    const broker = new Proc(join(home, 'bin', 'mqbroker'), ['-c', conf], {}, true);
    await broker.waitForOutput(/"event":"broker-ready"/);
    // A broker of the real checkout, which the copy's mqshutdown must leave alone.
    const otherConf = join(home, 'other.properties');
    writeFileSync(otherConf, brokerConf(await brokerPort(), join(home, 'other'), ''));
    const other = new Proc('dist/src/broker.js', ['-c', otherConf]);
    await other.waitForOutput(/"event":"broker-ready"/);
    const { stdout } = await run(join(home, 'bin', 'mqshutdown'), ['broker']);
    expect(stdout).toMatch(new RegExp(`Send shutdown request to mqbroker\\(${broker.child.pid}\\) OK`));
    expect(stdout).not.toContain(String(other.child.pid));
    expect(await broker.exited()).toBe(0);
    expect(other.child.exitCode).toBeNull();
    other.child.kill('SIGTERM');
    expect(await other.exited()).toBe(0);
    expect(broker.output).toContain('SIGTERM received');
    await expect(run(join(home, 'bin', 'mqshutdown'), ['nonsense'])).rejects.toThrow();

    // `npm start`'s single process (NameServer + broker) answers to both names. Started under a
    // wrapper whose command line names the script too: only the node process is signalled.
    const standalone = new Proc(
      'timeout',
      ['60', process.execPath, join(home, 'dist', 'src', 'standalone.js'), '--namesrv-port', String(await brokerPort()), '--broker-port', String(await brokerPort())],
      { STORE: join(home, 'standalone-store') },
      true,
    );
    await standalone.waitForOutput(/"event":"standalone-ready"/);
    const stop = await run(join(home, 'bin', 'mqshutdown'), ['namesrv']);
    const signalled = [...stop.stdout.matchAll(/Send shutdown request to mqnamesrv\((\d+)\) OK/g)].map((m) => Number(m[1]));
    expect(signalled).toHaveLength(1);
    expect(signalled[0]).not.toBe(standalone.child.pid);
    // Asked again by its other name while it exits (or after): a plain answer, never a shell error.
    const again = await run(join(home, 'bin', 'mqshutdown'), ['broker']).catch((e: { stdout: string; stderr: string }) => e);
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/No mqbroker running|Send shutdown request to mqbroker/);
    expect(await standalone.exited()).toBe(0);
  });
});

describe('mqbroker -p and -m', () => {
  it('print every setting or only the important ones, the config file applied, and start nothing', async () => {
    const d = dir('mqbroker-print-');
    const conf = join(d, 'broker.properties');
    writeFileSync(conf, 'brokerName=broker-b\nflushDiskType=SYNC_FLUSH\ndefaultTopicQueueNums=4\n');
    const mqbroker = join(repoRoot, 'bin', 'mqbroker');
    const all = (await run(mqbroker, ['-c', conf, '-p'])).stdout.split('\n');
    const important = (await run(mqbroker, ['-c', conf, '-m'])).stdout.split('\n');
    expect(all).toEqual(expect.arrayContaining(['brokerName=broker-b', 'flushDiskType=SYNC_FLUSH', 'defaultTopicQueueNums=4', 'listenPort=10911']));
    // RocketMQ 4.9's @ImportantField settings, BrokerConfig's first, in its order.
    expect(important.slice(0, 5)).toEqual(['namesrvAddr=', expect.stringMatching(/^brokerIP1=/), 'brokerName=broker-b', 'brokerClusterName=DefaultCluster', 'brokerId=0']);
    expect(important).toEqual(expect.arrayContaining(['flushDiskType=SYNC_FLUSH', 'brokerRole=ASYNC_MASTER', 'deleteWhen=04', 'fileReservedTime=72', 'accessMessageInMemoryMaxRatio=40']));
    expect(important).not.toContain('defaultTopicQueueNums=4');
    expect(important.filter(Boolean).every((l) => all.includes(l))).toBe(true);
    const bad = await run(mqbroker, ['-x']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toContain('usage: mqbroker [-c configFile] [-n namesrvAddr] [-p] [-m] [-h]');
  });
});

describe('npm start (standalone)', () => {
  it('runs a NameServer and a broker in one process, ready well under a second, routes topics, stops on SIGTERM', async () => {
    const store = dir('standalone-');
    const bport = await brokerPort();
    const nport = await brokerPort();
    const t0 = Date.now();
    const p = new Proc('dist/src/standalone.js', ['--namesrv-port', String(nport), '--broker-port', String(bport)], { STORE: join(store, 'store') });
    const m = await p.waitForOutput(/^(\{"event":"standalone-ready".*\})$/m);
    const wall = Date.now() - t0;
    const ready = JSON.parse(m[1]!) as { namesrvAddr: string; brokerAddr: string; startupMs: number };
    expect(ready).toMatchObject({ namesrvAddr: `127.0.0.1:${nport}`, brokerAddr: `127.0.0.1:${bport}` });
    expect(ready.startupMs).toBeLessThan(500);
    expect(wall).toBeLessThan(3000);
    expect(p.stdout).toContain(`listening on 127.0.0.1:${nport}`);

    const client = new RemotingClient();
    try {
      const created = await client.invoke(ready.brokerAddr, RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'StandaloneTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6 }), 3000);
      expect(created.code).toBe(ResponseCode.SUCCESS);
      await waitFor(async () => {
        const r = await client.invoke(ready.namesrvAddr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'StandaloneTopic' }), 3000);
        return r.code === ResponseCode.SUCCESS;
      }, 5000, 'standalone route');
    } finally {
      client.close();
    }
    p.child.kill('SIGTERM');
    expect(await p.exited()).toBe(0);
  });
  it('keeps serving when its stdout reader has gone (a closed pipe), saying so once on stderr', async () => {
    const store = dir('closed-stdout-');
    const bport = await brokerPort();
    const nport = await brokerPort();
    const child = spawn(process.execPath, ['dist/src/standalone.js', '--namesrv-port', String(nport), '--broker-port', String(bport)], {
      cwd: repoRoot,
      env: { ...process.env, STORE: join(store, 'store') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed before node has started: the boot lines and every INFO line meet EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const client = new RemotingClient();
    try {
      await waitFor(async () => {
        const r = await client.invoke(`127.0.0.1:${bport}`, RemotingCommand.createRequest(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'AfterEpipe', readQueueNums: 1, writeQueueNums: 1, perm: 6 }), 1000).catch(() => null);
        return r?.code === ResponseCode.SUCCESS;
      }, 10_000, 'the broker to answer with its stdout closed');
      // The topic's registration is logged at INFO, to the closed stdout; the route proves the
      // process went on past that write.
      await waitFor(async () => {
        const r = await client.invoke(`127.0.0.1:${nport}`, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'AfterEpipe' }), 1000);
        return r.code === ResponseCode.SUCCESS;
      }, 10_000, 'the route of the topic created after the pipe closed');
    } finally {
      client.close();
    }
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr.match(/stdout cannot be written \(EPIPE\)/g)).toHaveLength(1);
    expect(stderr).not.toContain('uncaught exception');
  });
});
