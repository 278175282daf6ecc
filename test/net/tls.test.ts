import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { join } from 'node:path';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RemotingServer } from '../../src/net/remoting-server.js';
import { loadTlsServer, tlsClientOptions } from '../../src/net/tls-config.js';
import { Message, Producer, PushConsumer } from '../../src/net/client/index.js';
import { repoRoot } from './helpers.js';
import { createTopic, pollUntil, silentLogger, startTestCluster } from '../helpers/cluster-procs.js';
import { runMqadmin } from '../helpers/mqadmin-run.js';

/**
 * TLS on the remoting protocol, configured by RocketMQ's tls.properties keys: permissive servers
 * take TLS and plain clients on one port, enforcing ones TLS only, client certificates when asked,
 * and certificate checks when the client leaves test mode.
 */
const certs = join(repoRoot, 'test', 'fixtures', 'tls');
const dir = mkdtempSync(join(tmpdir(), 'tls-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function tlsFile(props: Record<string, string>): string {
  const file = join(dir, `tls-${n++}.properties`);
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''));
  return file;
}
const serverKeys = { 'tls.server.certPath': join(certs, 'server.pem'), 'tls.server.keyPath': join(certs, 'server.key') };

async function echoServer(tlsProps: Record<string, string>): Promise<{ server: RemotingServer; addr: string; peers: string[] }> {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', tls: loadTlsServer(tlsFile(tlsProps)) });
  const peers: string[] = [];
  server.on('connect', (c: { remoteAddress: string }) => peers.push(c.remoteAddress));
  server.registerProcessor(RequestCode.GET_BROKER_CLUSTER_INFO, (req) => RemotingCommand.createResponse(req, ResponseCode.SUCCESS, 'pong'));
  return { server, addr: `127.0.0.1:${await server.listen()}`, peers };
}

const ping = async (addr: string, tls?: Parameters<typeof tlsClientOptions>[0] | null): Promise<string | undefined> => {
  const client = new RemotingClient({ connectTimeoutMs: 2000, tls: tls === undefined || tls === null ? undefined : tlsClientOptions(tls) });
  try {
    return (await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 2000)).remark;
  } finally {
    client.close();
  }
};

describe('TLS servers', () => {
  it('permissive: TLS and plain clients on the same port, peers known by their TCP address', async () => {
    const { server, addr, peers } = await echoServer({ ...serverKeys, 'tls.server.mode': 'permissive' });
    try {
      expect(await ping(addr)).toBe('pong');
      expect(await ping(addr, '')).toBe('pong');
      expect(peers).toHaveLength(2);
      for (const p of peers) expect(p).toMatch(/^127\.0\.0\.1:\d+$/);
    } finally {
      await server.close();
    }
  });

  it('enforcing: plain clients get nothing; TLS clients verify the server when out of test mode', async () => {
    const { server, addr } = await echoServer({ ...serverKeys, 'tls.server.mode': 'enforcing' });
    try {
      await expect(ping(addr)).rejects.toThrow();
      expect(await ping(addr, tlsFile({ 'tls.test.mode.enable': 'false', 'tls.client.trustCertPath': join(certs, 'ca.pem') }))).toBe('pong');
      // An unknown CA is refused once the client checks.
      await expect(ping(addr, tlsFile({ 'tls.test.mode.enable': 'false' }))).rejects.toThrow(/certificate/);
    } finally {
      await server.close();
    }
  });

  it('need.client.auth=require: only clients with a certificate the CA signed', async () => {
    const { server, addr } = await echoServer({ ...serverKeys, 'tls.server.mode': 'enforcing', 'tls.server.need.client.auth': 'require', 'tls.server.trustCertPath': join(certs, 'ca.pem') });
    try {
      await expect(ping(addr, '')).rejects.toThrow();
      expect(await ping(addr, tlsFile({ 'tls.client.certPath': join(certs, 'client.pem'), 'tls.client.keyPath': join(certs, 'client.key') }))).toBe('pong');
    } finally {
      await server.close();
    }
  });

  it('permissive: a connection that never speaks is dropped at the idle timeout', async () => {
    const tls = loadTlsServer(tlsFile({ ...serverKeys, 'tls.server.mode': 'permissive' }))!;
    const server = new RemotingServer({ port: 0, host: '127.0.0.1', tls, idleTimeoutMs: 200 });
    const port = await server.listen();
    try {
      const silent = connect(port, '127.0.0.1');
      const began = Date.now();
      await new Promise<void>((resolve) => silent.on('close', () => resolve()).on('error', () => undefined));
      // Not at once: at the idle timeout.
      expect(Date.now() - began).toBeGreaterThanOrEqual(150);
      expect(Date.now() - began).toBeLessThan(5000);
    } finally {
      await server.close();
    }
  });

  it('test mode without a certificate: the server makes itself a self-signed one, as RocketMQ does', async () => {
    const { server, addr } = await echoServer({ 'tls.server.mode': 'enforcing' });
    try {
      expect(await ping(addr, '')).toBe('pong');
      // A client that checks certificates refuses it: it vouches for nothing.
      await expect(ping(addr, tlsFile({ 'tls.test.mode.enable': 'false', 'tls.client.trustCertPath': join(certs, 'ca.pem') }))).rejects.toThrow(/certificate/);
      const presented = await new Promise<PeerCertificate>((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: Number(addr.split(':')[1]), rejectUnauthorized: false }, () => {
          resolve(s.getPeerCertificate());
          s.destroy();
        }).on('error', reject);
      });
      expect(presented.subject.CN).toBe('localhost');
      expect(presented.issuer.CN).toBe('localhost');
      expect(new Date(presented.valid_to).getTime()).toBeGreaterThan(Date.now() + 365 * 86_400_000);
    } finally {
      await server.close();
    }
  });

  it('a bad TLS config is an error naming the key', () => {
    expect(() => loadTlsServer(tlsFile({ 'tls.server.mode': 'enforcing', 'tls.test.mode.enable': 'false' }))).toThrow(/tls\.server\.certPath is required with tls\.server\.mode=enforcing and tls\.test\.mode\.enable=false/);
    expect(() => loadTlsServer(tlsFile({ 'tls.server.mode': 'enforcing', 'tls.server.certPath': serverKeys['tls.server.certPath'] }))).toThrow(/tls\.server\.keyPath is required with tls\.server\.mode=enforcing once the other/);
    expect(() => loadTlsServer(tlsFile({ ...serverKeys, 'tls.server.mode': 'strict' }))).toThrow(/tls\.server\.mode of .*: "strict" is none of disabled, permissive, enforcing/);
    expect(() => loadTlsServer(tlsFile({ ...serverKeys, 'tls.server.keyPath': '/nonexistent.key' }))).toThrow(/tls\.server\.keyPath of .*: cannot read \/nonexistent\.key/);
    expect(loadTlsServer(tlsFile({ 'tls.server.mode': 'disabled' }))).toBeNull();
  });
});

it('a broker that enforces TLS registers over TLS, and TLS clients send and consume through it', async () => {
  const namesrvTls = tlsFile({ ...serverKeys, 'tls.server.mode': 'permissive' });
  const brokerTls = tlsFile({ ...serverKeys, 'tls.server.mode': 'enforcing' });
  const cluster = await startTestCluster({ namesrvProps: { tlsConfigFile: namesrvTls }, brokerProps: { tlsConfigFile: brokerTls } });
  const opts = { namesrvAddr: cluster.namesrvAddr, logger: silentLogger, useTLS: true };
  const producer = new Producer({ ...opts, producerGroup: 'TlsProducer' });
  const consumer = new PushConsumer({ ...opts, consumerGroup: 'TlsGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  try {
    // The test helpers' admin speaks plain TCP, which this broker refuses: the topic is made over TLS.
    const { MQAdmin } = await import('../../src/net/client/index.js');
    const admin = new MQAdmin(opts);
    await admin.start();
    await admin.createTopic({ brokerAddr: cluster.brokerAddr }, { topicName: 'TlsTopic', readQueueNums: 1, writeQueueNums: 1 });
    await pollUntil(async () => (await admin.examineTopicRouteInfo('TlsTopic').catch(() => null)) !== null, 10_000, 'the route');
    await admin.shutdown();
    await producer.start();
    expect((await producer.send(new Message('TlsTopic', 'over tls'))).sendStatus).toBe('SEND_OK');
    const got: string[] = [];
    consumer.subscribe('TlsTopic').registerMessageListener((msgs) => void got.push(...msgs.map((m) => m.body.toString())));
    await consumer.start();
    await pollUntil(() => got.includes('over tls'), 15_000, 'the message consumed');
    // Plain TCP to the broker gets no answer.
    await expect(ping(cluster.brokerAddr)).rejects.toThrow();
    // mqadmin speaks TLS with TLS_ENABLE=true (RocketMQ's -Dtls.enable=true).
    expect((await runMqadmin(cluster.namesrvAddr, ['topicStatus', '-t', 'TlsTopic'])).code).toBe(1);
    process.env.TLS_ENABLE = 'true';
    try {
      const r = await runMqadmin(cluster.namesrvAddr, ['topicStatus', '-t', 'TlsTopic']);
      expect([r.code, r.out]).toEqual([0, expect.stringContaining(cluster.brokerName)]);
    } finally {
      delete process.env.TLS_ENABLE;
    }
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
    await cluster.stop();
  }
});

it('servers nobody configured for TLS take TLS clients too, as RocketMQ 4.9 servers do (permissive, self-signed)', async () => {
  const cluster = await startTestCluster();
  const producer = new Producer({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger, useTLS: true, producerGroup: 'DefaultTlsProducer' });
  try {
    // The NameServer answers cluster info over TLS and over plain TCP alike.
    for (const tls of ['', undefined]) {
      const client = new RemotingClient({ connectTimeoutMs: 2000, tls: tls === undefined ? undefined : tlsClientOptions(tls) });
      try {
        expect((await client.invoke(cluster.namesrvAddr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 2000)).code).toBe(ResponseCode.SUCCESS);
      } finally {
        client.close();
      }
    }
    await createTopic(cluster, 'DefaultTls', 1);
    await producer.start();
    expect((await producer.send(new Message('DefaultTls', 'tls to a default broker'))).sendStatus).toBe('SEND_OK');
  } finally {
    await producer.shutdown();
    await cluster.stop();
  }
});
