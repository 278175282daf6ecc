import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { decodeRegisterBrokerBody, encodeRegisterBrokerBody, registerBodyCrc32 } from '../../src/net/nameserver/register-broker-body.js';
import { createRegisterBrokerRequest } from '../../src/net/nameserver/register-broker-request.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { loadFrames } from './helpers.js';

const registrations = loadFrames().filter((f) => f.code === 103 && f.kind === 'request');

describe('REGISTER_BROKER body', () => {
  it.each(registrations.map((f) => [f.file, f] as const))('%s: decodes, re-encodes byte for byte, and its CRC matches the header', (_n, f) => {
    const cmd = RemotingCommand.decode(f.bytes.subarray(4));
    expect(registerBodyCrc32(cmd.body)).toBe(Number(cmd.extFields.bodyCrc32));
    const body = decodeRegisterBrokerBody(cmd.body!, false);
    expect(body.topicConfigs.length).toBeGreaterThan(0);
    expect(encodeRegisterBrokerBody(body, false).equals(cmd.body!)).toBe(true);
  });

  it('reads the fixture topics', () => {
    const cmd = RemotingCommand.decode(registrations[0]!.bytes.subarray(4));
    const body = decodeRegisterBrokerBody(cmd.body!, false);
    expect(body.dataVersion).toEqual({ counter: 0, timestamp: 1795295140525 });
    expect(body.topicConfigs.find((t) => t.topicName === 'TBW102')).toEqual({
      topicName: 'TBW102', readQueueNums: 8, writeQueueNums: 8, perm: 7, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    });
  });

  it('round-trips the compressed form (which drops topicSysFlag and order)', () => {
    const body = {
      dataVersion: { counter: 3, timestamp: 42 },
      topicConfigs: [{ topicName: 'T', readQueueNums: 2, writeQueueNums: 3, perm: 6, topicFilterType: 'MULTI_TAG', topicSysFlag: 1, order: true }],
      filterServerList: ['f:1'],
    };
    const zipped = encodeRegisterBrokerBody(body, true);
    expect(decodeRegisterBrokerBody(zipped, true)).toEqual({
      ...body,
      topicConfigs: [{ ...body.topicConfigs[0], topicSysFlag: 0, order: false }],
    });
  });

  it('decodes a compressed body built by hand from the Java layout', () => {
    const parts: Buffer[] = [];
    const text = (s: string) => {
      const len = Buffer.alloc(4);
      len.writeInt32BE(Buffer.byteLength(s));
      parts.push(len, Buffer.from(s));
    };
    text('{"counter":7,"timestamp":9}');
    parts.push(Buffer.from([0, 0, 0, 2]));
    text('A 4 4 6 SINGLE_TAG');
    text('broken entry');
    text('[]');
    const body = decodeRegisterBrokerBody(deflateSync(Buffer.concat(parts)), true);
    expect(body.dataVersion).toEqual({ counter: 7, timestamp: 9 });
    expect(body.topicConfigs.map((t) => t.topicName)).toEqual(['A']);
  });

  it('throws a typed error for bodies that do not decode', () => {
    expect(() => decodeRegisterBrokerBody(Buffer.from('not zlib'), true)).toThrow(/RegisterBrokerBody|truncated/);
    expect(() => decodeRegisterBrokerBody(deflateSync(Buffer.from([0, 0, 0, 50])), true)).toThrow(/truncated/);
  });

  it('builds the request header as BrokerOuterAPI does', () => {
    const req = createRegisterBrokerRequest(
      { clusterName: 'c', brokerAddr: 'a:1', brokerName: 'b', brokerId: 0, haServerAddr: 'a:2' },
      { dataVersion: { counter: 0, timestamp: 0 }, topicConfigs: [], filterServerList: [] },
    );
    expect(req.code).toBe(103);
    expect(Object.keys(req.extFields)).toEqual(['brokerId', 'bodyCrc32', 'clusterName', 'brokerAddr', 'haServerAddr', 'compressed', 'brokerName']);
    expect(req.extFields.compressed).toBe('false');
    expect(req.body!.toString()).toBe('{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":0,"timestamp":0},"topicConfigTable":{}}}');
  });
});
