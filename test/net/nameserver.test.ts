import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { NameServer } from '../../src/net/nameserver/nameserver.js';
import { namesrvConfig, type NamesrvConfig } from '../../src/net/nameserver/namesrv-config.js';
import { createRegisterBrokerRequest, type RegisterBrokerHeader } from '../../src/net/nameserver/register-broker-request.js';
import type { RegisterTopicConfig } from '../../src/net/nameserver/register-broker-body.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { FrameDecoder } from '../../src/net/frame-codec.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { silentLogger } from '../../src/net/logger.js';
import { type Frame, headerJson, loadFrames, waitFor } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startNameServer(over: Partial<NamesrvConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'namesrv-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = { ...namesrvConfig(), listenPort: 0, bindAddress: '127.0.0.1', kvConfigPath: join(dir, 'kvConfig.json'), ...over };
  const ns = new NameServer(cfg, silentLogger);
  const port = await ns.start();
  cleanups.push(() => ns.shutdown());
  const client = newClient();
  return { ns, port, addr: `127.0.0.1:${port}`, client, cfg };
}

function newClient(): RemotingClient {
  const client = new RemotingClient();
  cleanups.push(() => client.close());
  return client;
}

function topic(topicName: string, queues = 4, perm = 6): RegisterTopicConfig {
  return { topicName, readQueueNums: queues, writeQueueNums: queues, perm, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false };
}

const MASTER: RegisterBrokerHeader = { clusterName: 'C1', brokerAddr: '127.0.0.9:10911', brokerName: 'broker-a', brokerId: 0, haServerAddr: '127.0.0.9:10912' };

function registerRequest(header: Partial<RegisterBrokerHeader> = {}, topics = [topic('TopicA')], opts: { compressed?: boolean; counter?: number } = {}) {
  return createRegisterBrokerRequest(
    { ...MASTER, ...header },
    { dataVersion: { counter: opts.counter ?? 1, timestamp: 1_700_000_000_000 }, topicConfigs: topics, filterServerList: [] },
    { compressed: opts.compressed },
  );
}

async function route(client: RemotingClient, addr: string, topicName: string, version = 121) {
  const req = RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: topicName });
  req.version = version;
  return client.invoke(addr, req, 2000);
}

function json(body: Buffer | undefined): Record<string, unknown> {
  return parseFastjson(body!.toString('utf8')) as Record<string, unknown>;
}

describe('NameServer registration and routes', () => {
  it('registers a broker and serves its route, cluster info and topic list', async () => {
    const { client, addr } = await startNameServer();
    const res = await client.invoke(addr, registerRequest({}, [topic('TopicA'), topic('TopicB', 8)]), 2000);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(headerJson(res.encode()).extFields).toEqual({});

    const legacy = await route(client, addr, 'TopicB', 121);
    expect(legacy.body!.toString()).toBe(
      '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.9:10911"},"brokerName":"broker-a","cluster":"C1"}],"filterServerTable":{},' +
        '"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}',
    );
    const standard = await route(client, addr, 'TopicB', 409);
    expect(standard.body!.toString()).toContain('"brokerAddrs":{"0":"127.0.0.9:10911"}');
    const asked = RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'TopicB', acceptStandardJsonOnly: true });
    asked.version = 121;
    expect((await client.invoke(addr, asked, 2000)).body!.toString()).toContain('{"0":');

    const cluster = await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 2000);
    expect(cluster.body!.toString()).toBe(
      '{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.9:10911"},"brokerName":"broker-a","cluster":"C1"}},"clusterAddrTable":{"C1":["broker-a"]}}',
    );
    const list = await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER), 2000);
    expect(json(list.body)).toEqual({ topicList: ['TopicA', 'TopicB'] });
    const byCluster = await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_TOPICS_BY_CLUSTER, { cluster: 'C1' }), 2000);
    expect(json(byCluster.body)).toEqual({ topicList: ['TopicA', 'TopicB'] });
  });

  it('answers TOPIC_NOT_EXIST with RocketMQ’s remark for an unknown topic', async () => {
    const { client, addr } = await startNameServer();
    const res = await route(client, addr, 'Nope');
    expect(res.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect(res.remark).toBe('No topic route info in name server for the topic: Nope\nSee http://rocketmq.apache.org/docs/faq/ for further details.');
    expect(res.body).toBeUndefined();
  });

  it('accepts the compressed register body and checks bodyCrc32', async () => {
    const { client, addr } = await startNameServer();
    const ok = await client.invoke(addr, registerRequest({}, [topic('Zipped', 3)], { compressed: true }), 2000);
    expect(ok.code).toBe(ResponseCode.SUCCESS);
    expect(json((await route(client, addr, 'Zipped')).body).queueDatas).toEqual([
      { brokerName: 'broker-a', perm: 6, readQueueNums: 3, topicSysFlag: 0, writeQueueNums: 3 },
    ]);
    const bad = registerRequest({}, [topic('Tampered')]);
    bad.extFields.bodyCrc32 = '12345';
    const res = await client.invoke(addr, bad, 2000);
    expect(res).toMatchObject({ code: ResponseCode.SYSTEM_ERROR, remark: 'crc32 not match' });
    expect((await route(client, addr, 'Tampered')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('refuses a register request without its required header fields', async () => {
    const { client, addr } = await startNameServer();
    const req = registerRequest();
    delete req.extFields.brokerName;
    const res = await client.invoke(addr, req, 2000);
    expect(res).toMatchObject({ code: ResponseCode.SYSTEM_ERROR, remark: 'the custom field <brokerName> is null' });
  });

  it('gives a slave its master’s address and HA address', async () => {
    const { client, addr } = await startNameServer();
    await client.invoke(addr, registerRequest(), 2000);
    const slave = await client.invoke(addr, registerRequest({ brokerId: 1, brokerAddr: '127.0.0.10:10911', haServerAddr: '127.0.0.10:10912' }, [topic('FromSlave')]), 2000);
    expect(slave.code).toBe(ResponseCode.SUCCESS);
    expect(slave.extFields).toEqual({ masterAddr: '127.0.0.9:10911', haServerAddr: '127.0.0.9:10912' });
    expect((await route(client, addr, 'FromSlave')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    const body = json((await route(client, addr, 'TopicA')).body);
    expect((body.brokerDatas as { brokerAddrs: unknown }[])[0]!.brokerAddrs).toEqual({ 0: '127.0.0.9:10911', 1: '127.0.0.10:10911' });
  });

  it('removes a broker at once when its connection closes', async () => {
    const { client, addr, ns } = await startNameServer();
    const brokerSide = newClient();
    await brokerSide.invoke(addr, registerRequest(), 2000);
    expect((await route(client, addr, 'TopicA')).code).toBe(ResponseCode.SUCCESS);
    brokerSide.close();
    await waitFor(() => ns.routes.liveBrokerCount === 0, 3000, 'broker removal');
    expect((await route(client, addr, 'TopicA')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('expires a silent broker on the configured scan and closes its connection', async () => {
    const { client, addr } = await startNameServer({ scanNotActiveBrokerInterval: 100, brokerChannelExpiredTime: 400 });
    const brokerSide = newClient();
    const conn = await brokerSide.getConnection(addr);
    const registeredAt = Date.now();
    await conn.invoke(registerRequest(), 2000);
    await waitFor(async () => (await route(client, addr, 'TopicA')).code === ResponseCode.TOPIC_NOT_EXIST, 3000, 'expiry');
    expect(Date.now() - registeredAt).toBeGreaterThanOrEqual(400);
    await waitFor(() => conn.closed, 2000, 'expired broker connection to close');
  });

  it('keeps a broker alive while it re-registers or asks QUERY_DATA_VERSION', async () => {
    const { client, addr } = await startNameServer({ scanNotActiveBrokerInterval: 50, brokerChannelExpiredTime: 600 });
    const brokerSide = newClient();
    await brokerSide.invoke(addr, registerRequest(), 2000);
    const dv = Buffer.from('{"counter":1,"timestamp":1700000000000}');
    const query = (body: Buffer) =>
      brokerSide.invoke(addr, RemotingCommand.createRequest(RequestCode.QUERY_DATA_VERSION, { brokerName: 'broker-a', brokerAddr: MASTER.brokerAddr, clusterName: 'C1', brokerId: 0 }, body), 2000);
    const until = Date.now() + 1200;
    while (Date.now() < until) {
      const res = await query(dv);
      expect(res.extFields.changed).toBe('false');
      expect(res.body!.toString()).toBe('{"counter":1,"timestamp":1700000000000}');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await route(client, addr, 'TopicA')).code).toBe(ResponseCode.SUCCESS);
    expect((await query(Buffer.from('{"counter":2,"timestamp":1700000000001}'))).extFields.changed).toBe('true');
  });

  it('unregisters a broker and deletes topics', async () => {
    const { client, addr } = await startNameServer();
    await client.invoke(addr, registerRequest({}, [topic('Keep'), topic('Drop')]), 2000);
    await client.invoke(addr, RemotingCommand.createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic: 'Drop' }), 2000);
    expect((await route(client, addr, 'Drop')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
    expect((await route(client, addr, 'Keep')).code).toBe(ResponseCode.SUCCESS);
    const un = RemotingCommand.createRequest(RequestCode.UNREGISTER_BROKER, { brokerName: 'broker-a', brokerAddr: MASTER.brokerAddr, clusterName: 'C1', brokerId: 0 });
    expect((await client.invoke(addr, un, 2000)).code).toBe(ResponseCode.SUCCESS);
    expect((await route(client, addr, 'Keep')).code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });
});

describe('NameServer KV config', () => {
  it('puts, gets, lists and deletes, persisting {"configTable":...}', async () => {
    const { client, addr, cfg } = await startNameServer();
    const kv = (code: number, fields: Record<string, string>) => client.invoke(addr, RemotingCommand.createRequest(code, fields), 2000);
    expect((await kv(RequestCode.PUT_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA', value: 'broker-a:4' })).code).toBe(0);
    expect(JSON.parse(readFileSync(cfg.kvConfigPath, 'utf8'))).toEqual({ configTable: { ORDER_TOPIC_CONFIG: { TopicA: 'broker-a:4' } } });
    expect((await kv(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' })).extFields.value).toBe('broker-a:4');
    const list = await kv(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'ORDER_TOPIC_CONFIG' });
    expect(list.body!.toString()).toBe('{"table":{"TopicA":"broker-a:4"}}');
    const reg = await client.invoke(addr, registerRequest(), 2000);
    expect(reg.body!.toString()).toBe('{"table":{"TopicA":"broker-a:4"}}');
    await kv(RequestCode.DELETE_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' });
    const missing = await kv(RequestCode.GET_KV_CONFIG, { namespace: 'ORDER_TOPIC_CONFIG', key: 'TopicA' });
    expect(missing).toMatchObject({ code: ResponseCode.QUERY_NOT_FOUND, remark: 'No config item, Namespace: ORDER_TOPIC_CONFIG Key: TopicA' });
    expect((await kv(RequestCode.GET_KVLIST_BY_NAMESPACE, { namespace: 'ORDER_TOPIC_CONFIG' })).code).toBe(ResponseCode.QUERY_NOT_FOUND);
  });

  it('reloads persisted KV config on start', async () => {
    const first = await startNameServer();
    await first.client.invoke(first.addr, RemotingCommand.createRequest(RequestCode.PUT_KV_CONFIG, { namespace: 'ns', key: 'k', value: 'v' }), 2000);
    await first.ns.shutdown();
    const second = await startNameServer({ kvConfigPath: first.cfg.kvConfigPath });
    const res = await second.client.invoke(second.addr, RemotingCommand.createRequest(RequestCode.GET_KV_CONFIG, { namespace: 'ns', key: 'k' }), 2000);
    expect(res.extFields.value).toBe('v');
  });
});

/** The recorded bytes, sent on one raw socket per recorded connection, answers matched by opaque. */
class RawConnection {
  private readonly decoder = new FrameDecoder();
  private readonly waiting = new Map<number, (c: RemotingCommand, raw: Buffer) => void>();
  constructor(private readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) {
        const cmd = RemotingCommand.decode(f);
        this.waiting.get(cmd.opaque)?.(cmd, f);
      }
    });
  }
  send(bytes: Buffer, opaque: number, expectReply: boolean): Promise<{ cmd: RemotingCommand; frame: Buffer } | undefined> {
    this.sock.write(bytes);
    if (!expectReply) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to opaque ${opaque}`)), 3000);
      this.waiting.set(opaque, (cmd, frame) => {
        clearTimeout(timer);
        resolve({ cmd, frame });
      });
    });
  }
}

function headerShape(frame: Buffer): string[] {
  const h = headerJson(frame);
  const ext = h.extFields as Record<string, unknown> | undefined;
  return [...Object.keys(h), ...Object.keys(ext ?? {}).map((k) => `extFields.${k}`)].sort();
}

describe('NameServer replays the recorded RocketMQ 4.9 NameServer session', () => {
  const frames = loadFrames();
  const requests = frames.filter((f) => f.server === 'namesrv' && f.kind === 'request');
  const responseTo = new Map(frames.filter((f) => f.kind === 'response' && f.requestFile).map((f) => [f.requestFile!, f]));

  it('answers each request with the recorded code, header fields and (for routes and clusters) body', async () => {
    expect(requests.map((f) => f.code)).toEqual(expect.arrayContaining([103, 105, 106]));
    const { port, ns } = await startNameServer();
    const sockets = new Map<number, RawConnection>();
    let compared = 0;
    for (const req of requests) {
      let conn = sockets.get(req.connection);
      if (conn === undefined) {
        const sock = connect({ port, host: '127.0.0.1' });
        await new Promise((r) => sock.once('connect', r));
        cleanups.push(() => void sock.destroy());
        sockets.set(req.connection, (conn = new RawConnection(sock)));
      }
      const recorded: Frame | undefined = responseTo.get(req.file);
      const got = await conn.send(req.bytes, req.opaque, !req.oneway);
      if (recorded === undefined) {
        expect(req.oneway, `${req.file} has no recorded reply`).toBe(true);
        continue;
      }
      const ours = got!;
      expect(ours.cmd.code, req.file).toBe(recorded.code);
      expect(ours.cmd.remark, req.file).toBe(recorded.header.remark);
      const recordedFrame = recorded.bytes;
      expect(headerShape(Buffer.concat([Buffer.alloc(4), ours.frame])), req.file).toEqual(headerShape(recordedFrame));
      if (req.code === RequestCode.GET_ROUTEINFO_BY_TOPIC || req.code === RequestCode.GET_BROKER_CLUSTER_INFO) {
        const recordedBody = RemotingCommand.decode(recordedFrame.subarray(4)).body;
        expect(ours.cmd.body?.toString(), req.file).toBe(recordedBody?.toString());
      }
      compared++;
    }
    expect(compared).toBe(requests.filter((r) => !r.oneway).length);
    await waitFor(() => ns.routes.liveBrokerCount === 1);
  });
});
