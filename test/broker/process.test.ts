import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages, decodeOffsetMsgId } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import {
  Proc,
  brokerConf,
  brokerPort,
  props,
  pullHeader,
  sendV2Header,
  spawnBroker,
  spawnNamesrv,
  tempDir,
  waitFor,
} from '../helpers/broker-harness.js';

type Ext = Record<string, string | number | boolean | undefined | null>;

let dir: string;
let ns: { proc: Proc; addr: string };
const client = new RemotingClient();

beforeAll(async () => {
  dir = tempDir('broker-proc-');
  // Brokers here re-register every second; the NameServer drops one silent for 2.5 s.
  ns = await spawnNamesrv(dir, 'scanNotActiveBrokerInterval=200\nbrokerChannelExpiredTime=2500\n');
});
afterAll(() => {
  client.close();
  Proc.killAll();
  rmSync(dir, { recursive: true, force: true });
});

const invoke = (addr: string, code: number, ext?: Ext, body?: Buffer, timeoutMs = 5000) =>
  client.invoke(addr, RemotingCommand.createRequest(code, ext, body), timeoutMs);

async function route(topic: string): Promise<RemotingCommand> {
  return invoke(ns.addr, RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
}

async function startBroker(port: number, sub: string, extra: Record<string, string | number | boolean> = {}) {
  const conf = join(dir, `${sub}.properties`);
  writeFileSync(conf, brokerConf(port, join(dir, sub), ns.addr, { registerNameServerPeriod: 1000, ...extra }));
  return spawnBroker(conf);
}

describe('broker process', () => {
  it('exits naming a store directory it cannot create, instead of hanging', async () => {
    // Node 20's recursive mkdirSync never returns under /proc (see make-dirs.ts).
    const conf = join(dir, 'proc-store.properties');
    writeFileSync(conf, brokerConf(await brokerPort(), '/proc/nostore', ns.addr));
    const p = new Proc('dist/src/broker.js', ['-c', conf]);
    expect(await p.exited()).toBe(1);
    expect(p.stderr).toContain("mqbroker: ENOENT: no such file or directory, mkdir '/proc/nostore'");
  });

  it('names which of its ports is taken when it cannot start: listenPort, the VIP channel or HA', async () => {
    const port = await brokerPort();
    for (const [taken, says] of [
      [port, `broker cannot listen on 127.0.0.1:${port} (listenPort): listen EADDRINUSE`],
      [port - 2, `broker cannot listen on 127.0.0.1:${port - 2} (the VIP channel, listenPort - 2; vipChannelEnable=false turns it off)`],
      [port + 1, `HA server on port ${port + 1} (haListenPort, a broker's listenPort + 1): listen EADDRINUSE`],
    ] as const) {
      const squatter = createServer();
      await new Promise<void>((r) => squatter.listen(taken, '127.0.0.1', r));
      try {
        const conf = join(dir, `taken-${taken}.properties`);
        writeFileSync(conf, brokerConf(port, join(dir, `taken-${taken}`), ns.addr));
        const p = new Proc('dist/src/broker.js', ['-c', conf]);
        expect(await p.exited()).toBe(1);
        expect(p.stderr).toContain(`mqbroker: ${says}`);
        // Said once: the server's own error log stays quiet about a failed listen.
        expect(p.output.split('EADDRINUSE').length - 1).toBe(1);
      } finally {
        await new Promise((r) => squatter.close(r));
      }
    }
  });

  it('registers, routes, serves send/pull on both ports, keeps offsets across a graceful restart, unregisters on stop', async () => {
    const port = await brokerPort();
    const addr = `127.0.0.1:${port}`;
    const { proc, ready } = await startBroker(port, 'b1');
    expect(ready).toMatchObject({ brokerName: 'proc-broker', brokerAddr: addr, listenPort: port, vipPort: port - 2 });
    expect(proc.stdout).toContain(`The broker[proc-broker, ${addr}] boot success.`);

    const created = await invoke(addr, RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'ProcTopic', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false });
    expect(created.code).toBe(ResponseCode.SUCCESS);
    // The topic change triggers an immediate re-registration.
    const r = await waitFor(async () => {
      const res = await route('ProcTopic');
      return res.code === ResponseCode.SUCCESS ? res : null;
    }, 5000, 'route of ProcTopic');
    expect(r!.body!.toString()).toContain(addr);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await invoke(addr, RequestCode.SEND_MESSAGE_V2, sendV2Header('ProcTopic', { queueId: 0, properties: props({ TAGS: 'T', KEYS: `k${i}` }) }), Buffer.from(`p${i}`));
      expect(s.code).toBe(ResponseCode.SUCCESS);
      ids.push(s.extFields.msgId!);
    }
    // The VIP channel serves everything but pulls.
    const vip = `127.0.0.1:${port - 2}`;
    expect((await invoke(vip, RequestCode.SEND_MESSAGE_V2, sendV2Header('ProcTopic', { queueId: 1 }), Buffer.from('vip'))).code).toBe(ResponseCode.SUCCESS);
    expect((await invoke(vip, RequestCode.PULL_MESSAGE, pullHeader('ProcTopic', 'PG', 0, 0))).code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    const pulled = await invoke(addr, RequestCode.PULL_MESSAGE, pullHeader('ProcTopic', 'PG', 0, 0));
    expect(decodeMessages(pulled.body!).map((m) => m.body.toString())).toEqual(['p0', 'p1', 'p2']);
    expect((await invoke(addr, RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'PG', topic: 'ProcTopic', queueId: 0, commitOffset: 2 })).code).toBe(ResponseCode.SUCCESS);

    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toBe(0);
    const store = join(dir, 'b1', 'store');
    expect(existsSync(join(store, 'abort'))).toBe(false);
    expect(readFileSync(join(store, 'config', 'consumerOffset.json'), 'utf8')).toContain('"ProcTopic@PG":{0:2');
    // Graceful stop unregistered the broker: the route is gone at once.
    expect((await route('ProcTopic')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);

    const again = await startBroker(port, 'b1');
    try {
      const q = await invoke(addr, RequestCode.QUERY_CONSUMER_OFFSET, { consumerGroup: 'PG', topic: 'ProcTopic', queueId: 0 });
      expect(q.extFields.offset).toBe('2');
      const view = await invoke(addr, RequestCode.VIEW_MESSAGE_BY_ID, { offset: decodeOffsetMsgId(ids[2]!).offset });
      expect(decodeMessages(view.body!)[0]!.body.toString()).toBe('p2');
      await waitFor(async () => (await route('ProcTopic')).code === ResponseCode.SUCCESS, 5000, 'route after restart');
    } finally {
      again.proc.child.kill('SIGKILL');
      await again.proc.exited();
    }
    // A killed broker's NameServer connection drops, and with it the route.
    await waitFor(async () => (await route('ProcTopic')).code === ResponseCode.TOPIC_NOT_EXIST, 5000, 'route removal after SIGKILL');
  });

  it('a frozen broker expires from the NameServer and is routed again once it resumes', async () => {
    const port = await brokerPort();
    const { proc } = await startBroker(port, 'frozen');
    try {
      await invoke(`127.0.0.1:${port}`, RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'FrozenTopic', readQueueNums: 1, writeQueueNums: 1, perm: 6 });
      await waitFor(async () => (await route('FrozenTopic')).code === ResponseCode.SUCCESS, 5000, 'route');
      // Stopped, not dead: its connection stays open, only its registrations stop.
      proc.child.kill('SIGSTOP');
      await waitFor(async () => (await route('FrozenTopic')).code === ResponseCode.TOPIC_NOT_EXIST, 6000, 'expiry of a silent broker');
      proc.child.kill('SIGCONT');
      await waitFor(async () => (await route('FrozenTopic')).code === ResponseCode.SUCCESS, 5000, 'route after resume');
    } finally {
      proc.child.kill('SIGCONT');
      proc.child.kill('SIGTERM');
      await proc.exited();
    }
  });

  it('loses no acknowledged message when SIGTERM arrives during sends, nor when SIGKILLed', async () => {
    const port = await brokerPort();
    const addr = `127.0.0.1:${port}`;
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const sub = `inflight-${signal}`;
      const { proc } = await startBroker(port, sub);
      await invoke(addr, RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'Flight', readQueueNums: 1, writeQueueNums: 1, perm: 6 });
      const acked: { id: string; body: string }[] = [];
      let stop = false;
      let n = 0;
      const sender = async () => {
        while (!stop) {
          const body = `m${n++}`;
          try {
            const r = await invoke(addr, RequestCode.SEND_MESSAGE_V2, sendV2Header('Flight', { queueId: 0 }), Buffer.from(body), 2000);
            if (r.code === ResponseCode.SUCCESS) acked.push({ id: r.extFields.msgId!, body });
          } catch {
            return;
          }
        }
      };
      const senders = Array.from({ length: 16 }, sender);
      await waitFor(() => acked.length >= 200, 10_000, 'some acknowledged sends');
      proc.child.kill(signal);
      const code = await proc.exited();
      stop = true;
      await Promise.all(senders);
      if (signal === 'SIGTERM') expect(code).toBe(0);
      expect(existsSync(join(dir, sub, 'store', 'abort'))).toBe(signal === 'SIGKILL');

      const again = await startBroker(port, sub);
      try {
        const max = await invoke(addr, RequestCode.GET_MAX_OFFSET, { topic: 'Flight', queueId: 0 });
        expect(Number(max.extFields.offset), signal).toBeGreaterThanOrEqual(acked.length);
        for (const a of acked.filter((_, i) => i % 25 === 0 || i === acked.length - 1)) {
          const v = await invoke(addr, RequestCode.VIEW_MESSAGE_BY_ID, { offset: decodeOffsetMsgId(a.id).offset });
          expect(decodeMessages(v.body!)[0]!.body.toString()).toBe(a.body);
        }
      } finally {
        again.proc.child.kill('SIGTERM');
        expect(await again.proc.exited()).toBe(0);
      }
    }
  });

  it('survives garbage, oversized frames and unknown codes, and keeps serving', async () => {
    const port = await brokerPort();
    const addr = `127.0.0.1:${port}`;
    const { proc } = await startBroker(port, 'bad', { maxFrameSize: 65536 });
    try {
      const closedAfter = (bytes: Buffer) =>
        new Promise<boolean>((resolve) => {
          const s = connect(port, '127.0.0.1', () => s.write(bytes));
          s.on('error', () => {});
          s.on('close', () => resolve(true));
          setTimeout(() => {
            s.destroy();
            resolve(false);
          }, 3000).unref();
        });
      expect(await closedAfter(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(true);
      const huge = Buffer.alloc(8);
      huge.writeInt32BE(100 * 1024 * 1024, 0);
      expect(await closedAfter(huge)).toBe(true);
      const negative = Buffer.alloc(8);
      negative.writeInt32BE(-5, 0);
      expect(await closedAfter(negative)).toBe(true);
      const badHeader = Buffer.alloc(20);
      badHeader.writeInt32BE(16, 0);
      badHeader.writeInt32BE(12, 4);
      badHeader.write('{not json}!!', 8);
      expect(await closedAfter(badHeader)).toBe(true);

      expect((await invoke(addr, 9999, {})).code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
      // A frame over maxFrameSize closes that connection; the client reconnects for the next request.
      await expect(invoke(addr, RequestCode.SEND_MESSAGE_V2, sendV2Header('AutoMade'), Buffer.alloc(70_000))).rejects.toThrow(/closed/);
      expect((await invoke(addr, RequestCode.SEND_MESSAGE_V2, sendV2Header('AutoMade'), Buffer.from('still here'))).code).toBe(ResponseCode.SUCCESS);
      expect(proc.child.exitCode).toBeNull();
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited();
    }
  });

  it('a SIGTERM that arrives while the broker starts stops it gracefully, not by the signal', async () => {
    const port = await brokerPort();
    const conf = join(dir, 'early-term.properties');
    writeFileSync(conf, brokerConf(port, join(dir, 'early-term'), ns.addr));
    const proc = new Proc('dist/src/broker.js', ['-c', conf]);
    // Its first log lines come before the ready line, while start-up is still under way.
    await proc.waitForOutput(/listening on/);
    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toBe(0);
    expect(proc.child.signalCode).toBeNull();
    expect(proc.output).toContain('SIGTERM received');
    expect(existsSync(join(dir, 'early-term', 'store', 'abort'))).toBe(false);
  });

  it('warns naming an unknown config key, and exits non-zero naming a key with a bad value', async () => {
    const port = await brokerPort();
    const { proc } = await startBroker(port, 'warn', { brokerNmae: 'typo' });
    expect(proc.stderr).toContain('unknown config key "brokerNmae"');
    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toBe(0);

    const conf = join(dir, 'badvalue.properties');
    writeFileSync(conf, brokerConf(port, join(dir, 'badvalue'), ns.addr, { defaultTopicQueueNums: 'eight' }));
    const bad = new Proc('dist/src/broker.js', ['-c', conf]);
    expect(await bad.exited()).not.toBe(0);
    expect(bad.stderr).toContain('defaultTopicQueueNums');
  });
});
