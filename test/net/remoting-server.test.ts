import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { RemotingServer } from '../../src/net/remoting-server.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RemotingError, RemotingTimeoutError } from '../../src/net/remoting-error.js';
import { FrameDecoder } from '../../src/net/frame-codec.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import type { Connection } from '../../src/net/connection.js';
import type { Logger } from '../../src/net/logger.js';
import { waitFor } from './helpers.js';

const ECHO = 9001;
const SLOW = 9002;
const NEVER = 9003;
const THROWS = 9004;
const REJECTS = 9005;
const BIG = 9006;
const BIG_BODY = Buffer.alloc(256 * 1024, 7);

interface LogLine { level: string; msg: string }

function recordingLogger(lines: LogLine[]): Logger {
  const rec = (level: string) => (msg: string, ...args: unknown[]) => lines.push({ level, msg: [msg, ...args].join(' ') });
  return { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startServer(opts: { maxFrameSize?: number; idleTimeoutMs?: number; pauseReadingAboveBytes?: number } = {}) {
  const logs: LogLine[] = [];
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: recordingLogger(logs), ...opts });
  const onewaySeen: RemotingCommand[] = [];
  server.registerProcessor(ECHO, (req) => {
    if (req.isOneway) onewaySeen.push(req);
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { echo: req.extFields.v }, req.body);
  });
  server.registerProcessor(SLOW, async (req) => {
    await new Promise((r) => setTimeout(r, Number(req.extFields.delay)));
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { v: req.extFields.v });
  });
  server.registerProcessor(NEVER, () => null);
  let bigAnswered = 0;
  server.registerProcessor(BIG, (req) => (bigAnswered++, RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, {}, BIG_BODY)));
  server.registerProcessor(THROWS, () => {
    throw new Error('processor exploded');
  });
  server.registerProcessor(REJECTS, async () => {
    throw new Error('async processor exploded');
  });
  const port = await server.listen();
  cleanups.push(() => server.close());
  const client = new RemotingClient();
  cleanups.push(() => client.close());
  return { server, port, addr: `127.0.0.1:${port}`, client, logs, onewaySeen, bigAnswered: () => bigAnswered };
}

/** A raw socket that collects decoded response frames, for bytes no RemotingClient would send. */
async function rawSocket(port: number) {
  const sock: Socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const dec = new FrameDecoder();
  const received: RemotingCommand[] = [];
  let closed = false;
  sock.on('data', (c: Buffer) => received.push(...dec.push(c).map((f) => RemotingCommand.decode(f))));
  sock.on('error', () => {});
  sock.on('close', () => (closed = true));
  cleanups.push(() => void sock.destroy());
  return { sock, received, isClosed: () => closed };
}

describe('RemotingServer and RemotingClient', () => {
  it('round-trips a request and its response, body included', async () => {
    const { client, addr } = await startServer();
    const req = RemotingCommand.createRequest(ECHO, { v: 'hello' }, Buffer.from('payload'));
    const res = await client.invoke(addr, req, 2000);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.opaque).toBe(req.opaque);
    expect(res.extFields.echo).toBe('hello');
    expect(res.body?.toString()).toBe('payload');
  });

  it('matches out-of-order responses by opaque', async () => {
    const { client, addr } = await startServer();
    const arrival: string[] = [];
    const calls = [150, 80, 10].map((delay, i) =>
      client.invoke(addr, RemotingCommand.createRequest(SLOW, { delay, v: `r${i}` }), 3000).then((res) => {
        arrival.push(res.extFields.v!);
        return res.extFields.v;
      }),
    );
    expect(await Promise.all(calls)).toEqual(['r0', 'r1', 'r2']);
    expect(arrival).toEqual(['r2', 'r1', 'r0']);
  });

  it('answers an unknown code with REQUEST_CODE_NOT_SUPPORTED and the Java remark', async () => {
    const { client, addr } = await startServer();
    const res = await client.invoke(addr, RemotingCommand.createRequest(4242), 2000);
    expect(res.code).toBe(ResponseCode.REQUEST_CODE_NOT_SUPPORTED);
    expect(res.remark).toBe(' request type 4242 not supported');
  });

  it('turns a throwing or rejecting processor into SYSTEM_ERROR with the error text', async () => {
    const { client, addr } = await startServer();
    const a = await client.invoke(addr, RemotingCommand.createRequest(THROWS), 2000);
    expect(a).toMatchObject({ code: ResponseCode.SYSTEM_ERROR, remark: 'processor exploded' });
    const b = await client.invoke(addr, RemotingCommand.createRequest(REJECTS), 2000);
    expect(b).toMatchObject({ code: ResponseCode.SYSTEM_ERROR, remark: 'async processor exploded' });
  });

  it('does not answer oneway requests', async () => {
    const { port, onewaySeen } = await startServer();
    const raw = await rawSocket(port);
    raw.sock.write(RemotingCommand.createRequest(ECHO, { v: 'ow' }).markOneway().encode());
    raw.sock.write(RemotingCommand.createRequest(4243).markOneway().encode());
    const probe = RemotingCommand.createRequest(ECHO, { v: 'probe' });
    raw.sock.write(probe.encode());
    await waitFor(() => raw.received.length >= 1, 2000, 'probe response');
    expect(onewaySeen.map((c) => c.extFields.v)).toEqual(['ow']);
    expect(raw.received.map((c) => c.opaque)).toEqual([probe.opaque]);
  });

  it('rejects an invoke with a typed timeout, then drops the late response with a debug log', async () => {
    const { addr, server, logs } = await startServer();
    const clientLogs: LogLine[] = [];
    const client = new RemotingClient({ logger: recordingLogger(clientLogs) });
    cleanups.push(() => client.close());
    const conns: Connection[] = [];
    server.registerProcessor(NEVER, (req, conn) => {
      conns.push(conn);
      setTimeout(() => conn.send(RemotingCommand.createResponse(req, 0)), 80);
      return null;
    });
    const started = Date.now();
    const err = await client.invoke(addr, RemotingCommand.createRequest(NEVER), 30).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemotingTimeoutError);
    expect((err as RemotingError).code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    const res = await client.invoke(addr, RemotingCommand.createRequest(ECHO, { v: 'after' }), 2000);
    expect(res.extFields.echo).toBe('after');
    await waitFor(() => clientLogs.some((l) => l.level === 'debug' && l.msg.includes('unknown opaque')), 2000, 'late response to be dropped');
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('rejects pending invokes when the connection closes', async () => {
    const { client, addr, server } = await startServer();
    const call = client.invoke(addr, RemotingCommand.createRequest(NEVER), 5000).catch((e: unknown) => e);
    await waitFor(() => server.connections.size === 1);
    for (const c of server.connections) c.close('test');
    const err = await call;
    expect(err).toBeInstanceOf(RemotingError);
    expect((err as RemotingError).code).toBe('CONNECTION_CLOSED');
  });

  it('reconnects after the cached connection was closed', async () => {
    const { client, addr, server } = await startServer();
    const first = await client.getConnection(addr);
    expect(await client.getConnection(addr)).toBe(first);
    for (const c of server.connections) c.close('test');
    await waitFor(() => first.closed);
    const res = await client.invoke(addr, RemotingCommand.createRequest(ECHO, { v: 'again' }), 2000);
    expect(res.extFields.echo).toBe('again');
    expect(await client.getConnection(addr)).not.toBe(first);
  });

  it('serves server-to-client requests through client processors', async () => {
    const { client, addr, server } = await startServer();
    const notified: string[] = [];
    client.registerProcessor(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
      notified.push(req.extFields.consumerGroup!);
      return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
    });
    await client.invoke(addr, RemotingCommand.createRequest(ECHO), 2000);
    const [conn] = [...server.connections];
    conn!.invokeOneway(RemotingCommand.createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: 'g1' }));
    const res = await conn!.invoke(RemotingCommand.createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: 'g2' }), 2000);
    expect(res.code).toBe(0);
    expect(notified).toEqual(['g1', 'g2']);
  });

  it('carries many pipelined requests on one connection', async () => {
    const { client, addr } = await startServer();
    const n = 20_000;
    const calls: Promise<RemotingCommand>[] = [];
    for (let i = 0; i < n; i++) calls.push(client.invoke(addr, RemotingCommand.createRequest(ECHO, { v: i }), 20_000));
    const res = await Promise.all(calls);
    expect(res.every((r, i) => r.extFields.echo === String(i))).toBe(true);
  });

  it('lets in-flight handlers answer before close() closes sockets', async () => {
    const { client, addr, server } = await startServer();
    await client.getConnection(addr);
    const call = client.invoke(addr, RemotingCommand.createRequest(SLOW, { delay: 100, v: 'last' }), 3000);
    await waitFor(() => server.connections.size === 1);
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    expect((await call).extFields.v).toBe('last');
    expect(server.connections.size).toBe(0);
    // Depending on whether the client saw the FIN yet: its cached connection fails, or reconnecting does.
    const err = await client.invoke(addr, RemotingCommand.createRequest(ECHO), 500).catch((e: unknown) => e);
    expect(['CONNECT_FAILED', 'CONNECTION_CLOSED']).toContain((err as RemotingError).code);
  });

  it('closes connections idle longer than the configured time', async () => {
    const { client, addr, server } = await startServer({ idleTimeoutMs: 150 });
    const conn = await client.getConnection(addr);
    await client.invoke(addr, RemotingCommand.createRequest(ECHO), 2000);
    const lastUse = Date.now();
    await waitFor(() => conn.closed, 3000, 'idle close');
    expect(Date.now() - lastUse).toBeGreaterThanOrEqual(140);
    expect(server.connections.size).toBe(0);
  });

  it('fails to connect with a typed error and rejects bad addresses', async () => {
    const client = new RemotingClient({ connectTimeoutMs: 500 });
    cleanups.push(() => client.close());
    await expect(client.getConnection('nohost')).rejects.toMatchObject({ code: 'BAD_ADDRESS' });
    const { port, server } = await startServer();
    await server.close();
    await expect(client.getConnection(`127.0.0.1:${port}`)).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });
});

describe('RemotingServer and a client that does not read its replies', () => {
  it('stops reading its requests while too many reply bytes wait, and answers every one once it reads', async () => {
    const { port, bigAnswered, logs } = await startServer({ pauseReadingAboveBytes: 1 << 20 });
    const raw = await rawSocket(port);
    raw.sock.pause();
    // Requests spread over time, so the server reads them in many chunks: 400 replies of 256 KiB
    // (100 MiB) against kernel buffers of a few MiB.
    const N = 400;
    for (let i = 0; i < N; i += 10) {
      for (let k = i; k < i + 10; k++) raw.sock.write(RemotingCommand.createRequest(BIG, { v: String(k) }).encode());
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 200));
    const answeredWhileNotReading = bigAnswered();
    expect(answeredWhileNotReading).toBeGreaterThan(0);
    expect(answeredWhileNotReading).toBeLessThan(200);
    expect(logs.some((l) => l.msg.includes('not reading requests until they are'))).toBe(true);
    raw.sock.resume();
    await waitFor(() => raw.received.length === N, 20_000, 'every reply');
    expect(raw.received.map((c) => c.opaque)).toEqual([...new Set(raw.received.map((c) => c.opaque))]);
    expect(raw.received.every((c) => c.body?.length === BIG_BODY.length)).toBe(true);
    expect(bigAnswered()).toBe(N);
  });
});

describe('RemotingServer survives bad input', () => {
  const badInputs: [string, () => Buffer][] = [
    ['an oversized frame', () => Buffer.from([0x00, 0x40, 0x00, 0x00, 0, 0, 0, 0])],
    ['a negative length', () => Buffer.from([0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0])],
    ['a header that does not parse', () => {
      const h = Buffer.from('{"code":10,"flag":0,garbage');
      const f = Buffer.alloc(8 + h.length);
      f.writeInt32BE(4 + h.length, 0);
      f.writeUInt32BE(h.length, 4);
      h.copy(f, 8);
      return f;
    }],
    ['a header length beyond the frame', () => Buffer.from([0, 0, 0, 6, 0, 0, 0, 99, 1, 2])],
    ['an unknown serialize type', () => Buffer.from([0, 0, 0, 6, 7, 0, 0, 2, 1, 2])],
  ];

  it.each(badInputs)('closes the connection on %s, logs why, and keeps serving', async (_what, bytes) => {
    const { port, client, addr, logs } = await startServer({ maxFrameSize: 1024 * 1024 });
    const raw = await rawSocket(port);
    raw.sock.write(bytes());
    await waitFor(raw.isClosed, 3000, 'server to close the connection');
    expect(raw.received).toEqual([]);
    expect(logs.some((l) => l.level === 'warn' && l.msg.includes('closing connection'))).toBe(true);
    const res = await client.invoke(addr, RemotingCommand.createRequest(ECHO, { v: 'still here' }), 2000);
    expect(res.extFields.echo).toBe('still here');
  });

  it('answers the valid frames that came before the bad bytes', async () => {
    const { port } = await startServer();
    const raw = await rawSocket(port);
    const ok = RemotingCommand.createRequest(ECHO, { v: 'first' });
    raw.sock.write(Buffer.concat([ok.encode(), Buffer.from([0xff, 0xff, 0xff, 0xff])]));
    await waitFor(raw.isClosed, 3000, 'close');
    expect(raw.received.map((c) => c.extFields.echo)).toEqual(['first']);
  });
});
