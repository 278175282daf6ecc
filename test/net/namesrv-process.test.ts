import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { createRegisterBrokerRequest } from '../../src/net/nameserver/register-broker-request.js';
import { freePort, repoRoot, waitFor } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('bin/mqnamesrv', () => {
  it('starts from a config file on the configured port, serves, and stops on SIGTERM with exit code 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqnamesrv-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const conf = join(dir, 'namesrv.properties');
    const kvPath = join(dir, 'kv', 'kvConfig.json');
    writeFileSync(conf, `# test NameServer\nlistenPort=${port}\nbindAddress=127.0.0.1\nkvConfigPath=${kvPath}\nscanNotActiveBrokerInterval=1000\n`);

    const logs = join(dir, 'logs');
    // -n as RocketMQ's quick-start guides pass it: accepted, and ignored.
    const child = spawn(join(repoRoot, 'bin', 'mqnamesrv'), ['-c', conf, '-n', '127.0.0.1:9876'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROCKETMQ_TS_LOG_DIR: logs } });
    cleanups.push(() => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitFor(() => stdout.includes('boot success') || child.exitCode !== null, 10_000, 'NameServer to boot');
    expect(stdout).toContain(`listening on 127.0.0.1:${port}`);

    const client = new RemotingClient();
    cleanups.push(() => client.close());
    const addr = `127.0.0.1:${port}`;
    const reg = createRegisterBrokerRequest(
      { clusterName: 'P', brokerAddr: '127.0.0.1:30911', brokerName: 'pb', brokerId: 0, haServerAddr: '127.0.0.1:30912' },
      {
        dataVersion: { counter: 1, timestamp: 1 },
        topicConfigs: [{ topicName: 'ProcTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false }],
        filterServerList: [],
      },
    );
    expect((await client.invoke(addr, reg, 3000)).code).toBe(ResponseCode.SUCCESS);
    const route = await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'ProcTopic' }), 3000);
    expect(route.code).toBe(ResponseCode.SUCCESS);
    expect(route.body!.toString()).toContain('"readQueueNums":2');
    const put = RemotingCommand.createRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'n', key: 'k', value: 'v' });
    expect((await client.invoke(addr, put, 3000)).code).toBe(ResponseCode.SUCCESS);
    expect(existsSync(kvPath)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(stderr).not.toMatch(/ERROR/);
    // Its log file, where RocketMQ's is (here under ROCKETMQ_TS_LOG_DIR instead of ~/logs/rocketmqlogs).
    const log = readFileSync(join(logs, 'namesrv.log'), 'utf8');
    expect(log).toMatch(new RegExp(`^\\S+ INFO  \\[namesrv\\] The Name Server boot success\\. serializeType=JSON, listening on 127\\.0\\.0\\.1:${port}$`, 'm'));
    expect(log).toMatch(/INFO  \[namesrv\] SIGTERM received, shutting down$/m);
    expect(log).toContain('-n 127.0.0.1:9876 ignored: a NameServer needs no NameServer address');
  });

  it('exits non-zero naming the key when the config has a bad value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mqnamesrv-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const conf = join(dir, 'bad.properties');
    writeFileSync(conf, 'listenPort=abc\n');
    const logs = join(dir, 'logs');
    const child = spawn(join(repoRoot, 'bin', 'mqnamesrv'), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ROCKETMQ_TS_LOG_DIR: logs } });
    cleanups.push(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await exited(child)).toBe(1);
    expect(stderr).toContain('listenPort');
    expect(readFileSync(join(logs, 'namesrv.log'), 'utf8')).toMatch(/ERROR \[namesrv\] mqnamesrv: .*listenPort/);
  });
});
