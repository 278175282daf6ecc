import { describe, expect, it } from 'vitest';
import { createConnection, createServer, type Socket } from 'node:net';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, InProcessHa, offsetToFileName, type StoreConfig } from '../../src/store/index.js';
import { encodeReport, encodeTransferHeader, ReportReader, TransferReader, HaProtocolError, type Transfer } from '../../src/store/ha-protocol.js';
import { HaSlaveClient } from '../../src/store/ha-slave.js';
import { scratchStores } from '../helpers/scratch-store.js';
import { queueBodies } from '../helpers/queue-bodies.js';
import { until } from '../helpers/until.js';
import { msg } from './conformance.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';

const { cleanups, fresh } = scratchStores({ mappedFileSizeCommitLog: 64 * 1024, haTransferBatchSize: 1000, haSendHeartbeatInterval: 200, haHousekeepingInterval: 2000, slaveTimeout: 300 });
const quiet = { info() {}, warn() {}, error: (m: string) => console.error(m) };

async function openHa(cfg: StoreConfig): Promise<{ store: DefaultMessageStore; ha: InProcessHa }> {
  const ha = new InProcessHa();
  const remoteDispatcher = cfg.dispatchInWorkers ? new WorkerDispatcher({ onError: (m) => console.error(m) }) : undefined;
  const store = new DefaultMessageStore(cfg, { storeHost: '127.0.0.1:30911', logger: quiet, ha, haBindAddress: '127.0.0.1', remoteDispatcher });
  await store.start();
  cleanups.push(() => store.shutdown());
  return { store, ha };
}

async function pair(slaveOverrides: Partial<StoreConfig> = {}, masterOverrides: Partial<StoreConfig> = {}) {
  const master = await openHa(fresh({ brokerRole: 'SYNC_MASTER', haListenPort: 0, ...masterOverrides }));
  const slaveCfg = fresh({ brokerRole: 'SLAVE', haMasterAddress: `127.0.0.1:${master.ha.port}`, ...slaveOverrides });
  const slave = await openHa(slaveCfg);
  // An empty slave starts at the master's last segment: connected before anything is stored, it gets it all.
  await until(() => master.store.ha!.slaves === 1);
  return { master: master.store, masterHa: master.ha, slave: slave.store, slaveCfg };
}

/** Every commit log segment of a store, by name. */
function segments(cfg: StoreConfig): Map<string, Buffer> {
  const dir = join(cfg.storePathRootDir, 'commitlog');
  return new Map(readdirSync(dir).map((n) => [n, readFileSync(join(dir, n))]));
}

/** Every message of a queue, following nextBeginOffset (a pull stops at a queue file's end). */
const bodies = queueBodies;

describe('HA protocol', () => {
  it('encodes reports and transfer headers big-endian, as RocketMQ', () => {
    expect(encodeReport(0x0102030405).toString('hex')).toBe('0000000102030405');
    const h = Buffer.alloc(12);
    encodeTransferHeader(h, 0, 0x1_0000_0002, 32768);
    expect(h.toString('hex')).toBe('000000010000000200008000');
  });

  it('reads the newest whole report, across split chunks', () => {
    const r = new ReportReader();
    const all = Buffer.concat([encodeReport(7), encodeReport(300), encodeReport(65536)]);
    expect(r.push(all.subarray(0, 5))).toBe(-1);
    expect(r.push(all.subarray(5, 17))).toBe(300);
    expect(r.push(all.subarray(17, 23))).toBe(-1);
    expect(r.push(all.subarray(23))).toBe(65536);
    expect(r.push(Buffer.from('ffffffffffffffff', 'hex'))).toBeNaN();
  });

  it('reassembles transfers and heartbeats from any chunking, and refuses an absurd header', () => {
    const frames: Buffer[] = [];
    for (const [off, body] of [[0, 'abc'], [3, ''], [3, 'defgh']] as const) {
      const f = Buffer.alloc(12 + body.length);
      encodeTransferHeader(f, 0, off, body.length);
      f.write(body, 12);
      frames.push(f);
    }
    const wire = Buffer.concat(frames);
    for (const step of [1, 5, 13, wire.length]) {
      const r = new TransferReader();
      const out: Transfer[] = [];
      for (let i = 0; i < wire.length; i += step) r.push(wire.subarray(i, i + step), out);
      expect(out.map((t) => [t.offset, t.body.toString()])).toEqual([[0, 'abc'], [3, ''], [3, 'defgh']]);
    }
    const bad = Buffer.alloc(12);
    encodeTransferHeader(bad, 0, 0, -1);
    expect(() => new TransferReader().push(bad, [])).toThrow(HaProtocolError);
    const negative = Buffer.alloc(12, 0xff);
    negative.writeInt32BE(0, 8);
    expect(() => new TransferReader().push(negative, [])).toThrow(HaProtocolError);
  });
});

describe('HA protocol readers on garbage', () => {
  it('either parse or refuse with HaProtocolError, whatever the bytes and however they are cut', () => {
    let seed = 7;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 300; round++) {
      const wire = Buffer.alloc(1 + Math.floor(rand() * 200));
      for (let i = 0; i < wire.length; i++) wire[i] = Math.floor(rand() * 256);
      // Plausible headers too: a small offset and a body size that fits.
      if (round % 3 === 0 && wire.length >= 12) encodeTransferHeader(wire, 0, Math.floor(rand() * 1000), Math.floor(rand() * (wire.length - 12)));
      const transfers = new TransferReader();
      const reports = new ReportReader();
      const out: Transfer[] = [];
      for (let i = 0; i < wire.length; ) {
        const n = 1 + Math.floor(rand() * 40);
        const chunk = wire.subarray(i, i + n);
        i += n;
        const r = reports.push(chunk);
        expect(r === -1 || Number.isNaN(r) || (Number.isSafeInteger(r) && r >= 0)).toBe(true);
        try {
          transfers.push(chunk, out);
        } catch (e) {
          expect(e).toBeInstanceOf(HaProtocolError);
          break;
        }
      }
      for (const t of out) {
        expect(Number.isSafeInteger(t.offset) && t.offset >= 0).toBe(true);
        expect(t.body.length).toBeLessThanOrEqual(wire.length - 12);
      }
    }
  });
});

describe('replication between two stores', () => {
  it.each([
    // Under ASYNC_FLUSH fewer than flushCommitLogLeastPages dirty pages wait for the thorough
    // flush (10 s by default): a flush landing late in the stream leaves such a tail.
    ['ASYNC_FLUSH master, slave dispatching inline', { flushCommitLogThoroughInterval: 1000 }, {}],
    ['SYNC_FLUSH master (staged writes), SYNC_FLUSH slave dispatching in workers', { dispatchInWorkers: true, flushDiskType: 'SYNC_FLUSH' as const, syncFlushTimeout: 1000 }, { flushDiskType: 'SYNC_FLUSH' as const }],
  ])('copies the commit log byte for byte across segments, and the slave serves the messages: %s', async (_, slaveOverrides, masterOverrides) => {
    const { master, slave, slaveCfg } = await pair(slaveOverrides, masterOverrides);
    const sent: string[] = [];
    for (let i = 0; i < 400; i++) {
      const body = `m${i}-${'x'.repeat((i * 37) % 900)}`;
      sent.push(body);
      await master.putMessage(msg('HaTopic', i % 3, body, { KEYS: `k${i}`, TAGS: 'a' }));
    }
    expect(master.commitLog.queue.files.length).toBeGreaterThan(3);
    await until(() => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    expect(await slave.whenDispatched(slave.getMaxPhyOffset())).toBe(true);
    const m = segments(master.config);
    const s = segments(slaveCfg);
    expect([...s.keys()]).toEqual([...m.keys()]);
    const end = master.getMaxPhyOffset();
    for (const [name, bytes] of m) {
      const from = Number(name);
      const len = Math.min(bytes.length, end - from);
      expect(s.get(name)!.subarray(0, len).equals(bytes.subarray(0, len)), name).toBe(true);
    }
    for (let q = 0; q < 3; q++) expect(bodies(slave, 'HaTopic', q)).toEqual(sent.filter((_, i) => i % 3 === q));
    // Replicated bytes become durable on the slave too, whatever its flush mode.
    await until(() => slave.runtimeInfo().remainHowManyDataToFlush === '0', 3000);
    const byKey = await slave.queryMessage('HaTopic', 'k123', 10, 0, Date.now() + 1000);
    expect(byKey.messages.map((b) => decodeMessage(b, 0).body.toString())).toEqual([sent[123]]);
  });

  it('acknowledges a SYNC_MASTER send once the slave has it; SLAVE_NOT_AVAILABLE without a slave', async () => {
    const { master, slave } = await pair();
    const r = await master.putMessage(msg('HaTopic', 0, 'one'));
    expect(await master.waitReplica(r.wroteOffset + r.wroteBytes)).toBe('PUT_OK');
    expect(slave.getMaxPhyOffset()).toBeGreaterThanOrEqual(r.wroteOffset + r.wroteBytes);
    await slave.shutdown();
    await until(() => master.ha!.slaves === 0);
    const r2 = await master.putMessage(msg('HaTopic', 0, 'two'));
    expect(await master.waitReplica(r2.wroteOffset + r2.wroteBytes)).toBe('SLAVE_NOT_AVAILABLE');
  });

  it('answers FLUSH_SLAVE_TIMEOUT when a connected slave does not acknowledge in slaveTimeout', async () => {
    const master = await openHa(fresh({ brokerRole: 'SYNC_MASTER', haListenPort: 0 }));
    // A slave that asks from the start, then never reports again.
    const s = createConnection({ host: '127.0.0.1', port: master.ha.port });
    cleanups.push(() => void s.destroy());
    s.on('data', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write(encodeReport(0));
    await until(() => master.store.ha!.slaves === 1);
    const r = await master.store.putMessage(msg('HaTopic', 0, 'late'));
    const t0 = Date.now();
    expect(await master.store.waitReplica(r.wroteOffset + r.wroteBytes)).toBe('FLUSH_SLAVE_TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('a restarted slave goes on from its own end; an empty one starts at the master\'s last segment', async () => {
    const { master, masterHa, slave, slaveCfg } = await pair();
    for (let i = 0; i < 100; i++) await master.putMessage(msg('HaTopic', 0, `a${i}-${'y'.repeat(700)}`));
    await until(() => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    await slave.shutdown();
    for (let i = 0; i < 100; i++) await master.putMessage(msg('HaTopic', 0, `b${i}-${'y'.repeat(700)}`));
    const again = await openHa(slaveCfg);
    await until(() => again.store.getMaxPhyOffset() === master.getMaxPhyOffset());
    expect(bodies(again.store, 'HaTopic', 0)).toEqual(bodies(master, 'HaTopic', 0));

    const late = await openHa(fresh({ brokerRole: 'SLAVE', haMasterAddress: `127.0.0.1:${masterHa.port}` }));
    await until(() => late.store.getMaxPhyOffset() === master.getMaxPhyOffset());
    const last = master.commitLog.queue.last!.fileFromOffset;
    expect(late.store.getMinPhyOffset()).toBe(last);
    expect([...segments(late.store.config).keys()]).toEqual([offsetToFileName(last)]);
  });

  it('a master restarted while its slave was away streams it the segments it has not touched since (mapped on first read)', async () => {
    const { master, slave, slaveCfg } = await pair();
    for (let i = 0; i < 50; i++) await master.putMessage(msg('HaTopic', 0, `a${i}-${'y'.repeat(700)}`));
    await until(() => slave.getMaxPhyOffset() === master.getMaxPhyOffset());
    const from = slave.getMaxPhyOffset();
    await slave.shutdown();
    for (let i = 0; i < 300; i++) await master.putMessage(msg('HaTopic', 0, `b${i}-${'y'.repeat(700)}`));
    await master.shutdown();
    const restarted = await openHa(master.config);
    const behind = restarted.store.commitLog.queue.files.filter((f) => f.fileFromOffset + f.fileSize > from && f !== restarted.store.commitLog.queue.last);
    expect(behind.length).toBeGreaterThan(2);
    expect(behind.some((f) => f.isMapped)).toBe(false);
    const again = await openHa({ ...slaveCfg, haMasterAddress: `127.0.0.1:${restarted.ha.port}` });
    await until(() => again.store.getMaxPhyOffset() === restarted.store.getMaxPhyOffset());
    expect(bodies(again.store, 'HaTopic', 0)).toEqual(bodies(restarted.store, 'HaTopic', 0));
    expect(bodies(again.store, 'HaTopic', 0)).toHaveLength(350);
  });

  it('drops a slave whose offset the master no longer has, and says why', async () => {
    const warnings: string[] = [];
    const ha = new InProcessHa();
    const store = new DefaultMessageStore(fresh({ brokerRole: 'ASYNC_MASTER', haListenPort: 0 }), { logger: { info() {}, warn: (m) => warnings.push(m), error() {} }, ha, haBindAddress: '127.0.0.1' });
    await store.start();
    cleanups.push(() => store.shutdown());
    for (let i = 0; i < 100; i++) await store.putMessage(msg('HaTopic', 0, `x${i}-${'y'.repeat(900)}`));
    // A slave that stopped at an offset inside a segment retention has since deleted.
    const first = store.commitLog.queue.files[0]!;
    rmSync(first.path);
    const s = createConnection({ host: '127.0.0.1', port: ha.port });
    const closed = new Promise((r) => s.once('close', r));
    s.on('data', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write(encodeReport(100));
    await closed;
    expect(warnings.join('\n')).toMatch(/asks for offset 100, which this master no longer has/);
  });

  it('fails to start, leaving nothing running, when the HA port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;
    const cfg = fresh({ brokerRole: 'ASYNC_MASTER', haListenPort: port });
    const store = new DefaultMessageStore(cfg, { logger: quiet, ha: new InProcessHa(), haBindAddress: '127.0.0.1' });
    await expect(store.start()).rejects.toThrow(/EADDRINUSE/);
    // Shut down cleanly: no abort marker, and the store opens again once the port is free.
    expect(existsSync(join(cfg.storePathRootDir, 'abort'))).toBe(false);
    await expect(store.putMessage(msg('HaTopic', 0, 'x'))).rejects.toThrow(/not running/);
  });

  it('drops a slave that reports an offset past the master\'s end', async () => {
    const master = await openHa(fresh({ brokerRole: 'ASYNC_MASTER', haListenPort: 0 }));
    await master.store.putMessage(msg('HaTopic', 0, 'x'));
    const s = createConnection({ host: '127.0.0.1', port: master.ha.port });
    const closed = new Promise((r) => s.once('close', r));
    await new Promise((r) => s.once('connect', r));
    s.write(encodeReport(master.store.getMaxPhyOffset() + 1));
    await closed;
    expect(master.store.ha!.slaves).toBe(0);
  });
});

describe('a slave fed bytes that are not records', () => {
  it('keeps them, logs once, dispatches nothing past them, and keeps running', async () => {
    const server = createServer((c) => {
      c.on('error', () => {}); // the slave may reset the connection when the test ends
      c.once('data', () => {
        const f = Buffer.alloc(12 + 64, 0xab);
        encodeTransferHeader(f, 0, 0, 64);
        c.write(f);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const errors: string[] = [];
    const ha = new InProcessHa();
    const cfg = fresh({ brokerRole: 'SLAVE', haMasterAddress: `127.0.0.1:${(server.address() as { port: number }).port}` });
    const store = new DefaultMessageStore(cfg, { logger: { info() {}, warn() {}, error: (m) => errors.push(m) }, ha });
    await store.start();
    cleanups.push(() => store.shutdown());
    await until(() => store.getMaxPhyOffset() === 64);
    expect(errors).toEqual([expect.stringMatching(/replicated record at 0 does not validate/)]);
    expect(store.queueIds('HaTopic')).toEqual([]);
  });
});

describe('HaSlaveClient', () => {
  it('disconnects from a master whose stream does not continue its log, and reconnects', async () => {
    const conns: Socket[] = [];
    const server = createServer((c) => {
      // The slave drops this master by resetting the connection: an unheard ECONNRESET here
      // failed the whole test run now and then.
      c.on('error', () => {});
      conns.push(c);
      c.once('data', () => {
        const f = Buffer.alloc(14);
        encodeTransferHeader(f, 0, 500, 2);
        c.write(f);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const warnings: string[] = [];
    const appended: number[] = [];
    const client = new HaSlaveClient({
      maxOffset: () => 4096,
      append: (off) => (appended.push(off), off),
      heartbeatMs: 100,
      housekeepingMs: 1000,
      reconnectMs: 50,
      log: { info() {}, warn: (m) => warnings.push(m) },
    });
    cleanups.push(() => client.close());
    client.start();
    client.setMasterAddress(`127.0.0.1:${(server.address() as { port: number }).port}`);
    await until(() => conns.length >= 2);
    expect(appended).toEqual([]);
    expect(warnings[0]).toMatch(/offset 500, the slave's log ends at 4096/);
  });
});
