import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Producer, PullConsumer } from '../../src/net/client/index.js';
import { decodeMessageExts } from '../../src/net/client/message.js';
import { COMPRESSION_LZ4, COMPRESSION_ZSTD, decompressBody } from '../../src/net/client/compression.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { decodeMessage } from '../../src/store/index.js';
import { createTopic, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { pullHeader, repoRoot } from '../helpers/broker-harness.js';

/**
 * Body compression: zlib as RocketMQ 4.x writes it, and LZ4 frames as RocketMQ 5.x producers may
 * (sysFlag bits 8-10). The LZ4 fixture was written by the lz4 command line tool, not by the
 * library this client uses, so reading it checks the format and not just a round trip.
 */
const fixtures = join(repoRoot, 'test', 'fixtures', 'compression');
const plain = readFileSync(join(fixtures, 'body.txt'));

describe('decompressBody', () => {
  it('reads zlib (flag alone or with its type bits), an LZ4 frame from another encoder, and leaves ZSTD alone', () => {
    const z = deflateSync(plain);
    expect(decompressBody(z, 0x1)!.equals(plain)).toBe(true);
    expect(decompressBody(z, 0x301)!.equals(plain)).toBe(true);
    expect(decompressBody(readFileSync(join(fixtures, 'body.lz4')), 0x1 | COMPRESSION_LZ4)!.equals(plain)).toBe(true);
    expect(decompressBody(Buffer.from('zstd bytes'), 0x1 | COMPRESSION_ZSTD)).toBeNull();
    expect(() => decompressBody(Buffer.from('not a frame'), 0x1 | COMPRESSION_LZ4)).toThrow();
  });
});

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, 'ZipTopic', 1);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('compressed sends end to end', () => {
  it('an LZ4 producer stores an LZ4 frame flagged as RocketMQ 5 does; consumers get the body back, zlib ones too', async () => {
    const big = Buffer.concat([plain, plain, plain]);
    for (const compressType of ['LZ4', 'ZLIB'] as const) {
      const p = new Producer({ producerGroup: `Zip${compressType}`, namesrvAddr: cluster.namesrvAddr, logger: silentLogger, compressType, compressMsgBodyOverHowmuch: 1024 });
      await p.start();
      try {
        expect((await p.send(new Message('ZipTopic', big, { tags: compressType }))).sendStatus).toBe('SEND_OK');
      } finally {
        await p.shutdown();
      }
    }
    // On the wire (and so in the store): the flags and the compressed bytes.
    const raw = new RemotingClient();
    try {
      const res = await raw.invoke(cluster.brokerAddr, RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, pullHeader('ZipTopic', 'ZipRaw', 0, 0)), 3000);
      expect(res.code).toBe(ResponseCode.SUCCESS);
      const lz4 = decodeMessage(res.body!, 0);
      expect(lz4.sysFlag & 0x701).toBe(0x101);
      expect(lz4.body.subarray(0, 4).toString('hex')).toBe('04224d18');
      expect(lz4.body.length).toBeLessThan(big.length / 4);
      const zlib = decodeMessage(res.body!, lz4.storeSize);
      expect(zlib.sysFlag & 0x701).toBe(0x1);
      // The whole pull body, decoded as a consumer decodes it.
      const msgs = decodeMessageExts(res.body, 'b');
      expect(msgs.map((m) => [m.tags, m.body.equals(big), m.sysFlag & 0x701])).toEqual([['LZ4', true, 0], ['ZLIB', true, 0]]);
    } finally {
      raw.close();
    }
    const puller = new PullConsumer({ consumerGroup: 'ZipPuller', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await puller.start();
    try {
      const [mq] = await puller.fetchSubscribeMessageQueues('ZipTopic');
      const r = await puller.pull(mq!, '*', 0, 32);
      expect(r.msgFoundList.map((m) => m.body.equals(big))).toEqual([true, true]);
    } finally {
      await puller.shutdown();
    }
  });

  it('refuses an unknown compression type or a zlib level out of range, by name', () => {
    expect(() => new Producer({ producerGroup: 'Z', compressType: 'ZSTD' as 'LZ4' })).toThrow(/compressType/);
    expect(() => new Producer({ producerGroup: 'Z', compressLevel: 12 })).toThrow('compressLevel must be 0..9 (zlib), got 12');
  });
});
