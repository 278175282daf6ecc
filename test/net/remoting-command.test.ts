import { describe, expect, it } from 'vitest';
import { RemotingCommand, SerializeType } from '../../src/net/remoting-command.js';
import { RemotingError } from '../../src/net/remoting-error.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { headerJson, loadFrames } from './helpers.js';

const frames = loadFrames();

function expectRemotingError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RemotingError);
    expect((err as RemotingError).code).toBe(code);
    return;
  }
  throw new Error(`expected RemotingError ${code}`);
}

function asJavaString(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

describe('RemotingCommand against the 72 captured RocketMQ 4.9 frames', () => {
  it('has all 72 frames', () => {
    expect(frames).toHaveLength(72);
  });

  it.each(frames.map((f) => [f.file, f] as const))('decodes %s', (_name, f) => {
    expect(f.bytes.readInt32BE(0)).toBe(f.bytes.length - 4);
    const cmd = RemotingCommand.decode(f.bytes.subarray(4));
    expect(cmd.code).toBe(f.code);
    expect(cmd.opaque).toBe(f.opaque);
    expect(cmd.flag).toBe(f.flag);
    expect(cmd.serializeType).toBe(f.serializeType);
    expect(cmd.isResponse).toBe(f.kind === 'response');
    expect(cmd.isOneway).toBe(f.oneway);
    expect(cmd.language).toBe(f.header.language);
    expect(cmd.version).toBe(f.header.version);
    expect(cmd.remark).toBe(f.header.remark);
    expect(cmd.body?.length ?? 0).toBe(f.bodyLength);
    const ext = (f.header.extFields ?? {}) as Record<string, unknown>;
    expect(cmd.extFields).toEqual(Object.fromEntries(Object.entries(ext).map(([k, v]) => [k, asJavaString(v)])));
    for (const v of Object.values(cmd.extFields)) expect(typeof v).toBe('string');
  });

  it.each(frames.map((f) => [f.file, f] as const))('re-encodes %s to a frame that decodes to the same command', (_name, f) => {
    const cmd = RemotingCommand.decode(f.bytes.subarray(4));
    const again = RemotingCommand.decode(cmd.encode().subarray(4));
    expect(again).toEqual(cmd);
    expect(again.body?.equals(cmd.body ?? Buffer.alloc(0)) ?? cmd.body === undefined).toBe(true);
  });

  it('re-encodes every frame written by Java byte for byte (fastjson key order, extFields presence)', () => {
    const javaFrames = frames.filter((f) => 'serializeTypeCurrentRPC' in f.header);
    expect(javaFrames.length).toBeGreaterThan(30);
    for (const f of javaFrames) {
      const cmd = RemotingCommand.decode(f.bytes.subarray(4));
      expect(cmd.encode().equals(f.bytes), f.file).toBe(true);
    }
  });

  it('normalizes ali-ons number and boolean extFields to Java strings', () => {
    const f = frames.find((x) => x.file === '0017-req-code310.bin')!;
    const cmd = RemotingCommand.decode(f.bytes.subarray(4));
    expect(cmd.extFields).toMatchObject({ d: '4', e: '0', g: '1795295154678', k: 'false', a: 'FramePG' });
    expect(cmd.body?.toString()).toBe('frame-body-0');
    const reply = headerJson(cmd.encode());
    expect((reply.extFields as Record<string, unknown>).g).toBe('1795295154678');
  });
});

describe('RemotingCommand JSON header', () => {
  it('writes the reference example header exactly', () => {
    const cmd = new RemotingCommand(RequestCode.GET_ROUTEINFO_BY_TOPIC, 3, { topic: 'TopicTest' });
    cmd.hasCustomHeader = true;
    const frame = cmd.encode();
    const header = '{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":3,"serializeTypeCurrentRPC":"JSON","version":409}';
    expect(frame.toString('utf8', 8)).toBe(header);
    expect(frame.readInt32BE(0)).toBe(4 + Buffer.byteLength(header));
    expect(frame.readUInt32BE(4)).toBe(Buffer.byteLength(header));
  });

  it('omits extFields unless a custom header was given, and skips null/undefined values', () => {
    const req = RemotingCommand.createRequest(RequestCode.HEART_BEAT);
    expect('extFields' in headerJson(req.encode())).toBe(false);
    const res = RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { masterAddr: undefined, haServerAddr: null });
    expect(headerJson(res.encode()).extFields).toEqual({});
    const res2 = RemotingCommand.createResponse(req, ResponseCode.SUCCESS, 'r', { n: 5, b: true, s: 'x' });
    expect(headerJson(res2.encode())).toMatchObject({ extFields: { n: '5', b: 'true', s: 'x' }, remark: 'r', flag: 1, opaque: req.opaque });
  });

  it('hands out increasing opaques and copies opaque and serialize type into responses', () => {
    const a = RemotingCommand.createRequest(10);
    const b = RemotingCommand.createRequest(10);
    expect(b.opaque).toBe(a.opaque + 1);
    b.serializeType = SerializeType.ROCKETMQ;
    const res = RemotingCommand.createResponse(b, 0);
    expect(res.opaque).toBe(b.opaque);
    expect(res.serializeType).toBe(SerializeType.ROCKETMQ);
    expect(res.isResponse).toBe(true);
    expect(a.markOneway().isOneway).toBe(true);
    expect(a.flag).toBe(2);
  });

  it('escapes control characters and non-ASCII so the header stays valid JSON', () => {
    const cmd = RemotingCommand.createRequest(310, { i: 'TAGS\u0001Tag\u00e9\u0002KEYS\u0001k"1' }, Buffer.from('b'));
    const again = RemotingCommand.decode(cmd.encode().subarray(4));
    expect(again.extFields.i).toBe('TAGS\u0001Tag\u00e9\u0002KEYS\u0001k"1');
    expect(again.body?.toString()).toBe('b');
  });

  it('splits the body into a separate part for zero-copy writes', () => {
    const body = Buffer.alloc(100, 7);
    const cmd = RemotingCommand.createRequest(10, { a: '1' }, body);
    const parts = cmd.encodeParts();
    expect(parts[1]).toBe(body);
    expect(Buffer.concat(parts).equals(cmd.encode())).toBe(true);
  });
});

describe('RemotingCommand ROCKETMQ binary header', () => {
  function handBuilt(): Buffer {
    // code 105, language GO (9), version 409, opaque 77, flag 1, remark "hé", ext {topic: "T", e: ""}
    const remark = Buffer.from('hé');
    const entries = Buffer.concat([
      Buffer.from([0, 5]), Buffer.from('topic'), Buffer.from([0, 0, 0, 1]), Buffer.from('T'),
      Buffer.from([0, 1]), Buffer.from('e'), Buffer.from([0, 0, 0, 0]),
    ]);
    const header = Buffer.concat([
      Buffer.from([0, 105, 9, 0x01, 0x99, 0, 0, 0, 77, 0, 0, 0, 1]),
      Buffer.from([0, 0, 0, remark.length]), remark,
      Buffer.from([0, 0, 0, entries.length]), entries,
    ]);
    const body = Buffer.from('BODY');
    const prefix = Buffer.alloc(8);
    prefix.writeInt32BE(4 + header.length + body.length, 0);
    prefix.writeUInt32BE((1 << 24) | header.length, 4);
    return Buffer.concat([prefix, header, body]);
  }

  it('decodes a hand-built binary frame', () => {
    const cmd = RemotingCommand.decode(handBuilt().subarray(4));
    expect(cmd).toMatchObject({ code: 105, language: 'GO', version: 409, opaque: 77, flag: 1, remark: 'hé', serializeType: 1 });
    expect(cmd.extFields).toEqual({ topic: 'T', e: '' });
    expect(cmd.body?.toString()).toBe('BODY');
  });

  it('encodes the same bytes it decodes', () => {
    const bytes = handBuilt();
    expect(RemotingCommand.decode(bytes.subarray(4)).encode().equals(bytes)).toBe(true);
  });

  it('round-trips a command without remark, ext fields or body', () => {
    const cmd = RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO);
    cmd.serializeType = SerializeType.ROCKETMQ;
    const back = RemotingCommand.decode(cmd.encode().subarray(4));
    expect(back).toMatchObject({ code: 106, opaque: cmd.opaque, remark: undefined, body: undefined, extFields: {}, language: 'JAVA', version: 409 });
  });

  it('answers a binary request in binary', () => {
    const req = RemotingCommand.decode(handBuilt().subarray(4));
    const res = RemotingCommand.createResponse(req, 17, 'no route', { k: 'v' });
    const frame = res.encode();
    expect(frame.readUInt8(4)).toBe(1);
    expect(RemotingCommand.decode(frame.subarray(4))).toMatchObject({ code: 17, remark: 'no route', extFields: { k: 'v' }, opaque: 77 });
  });

  it('rejects truncated binary headers', () => {
    const bytes = handBuilt();
    const frame = Buffer.from(bytes.subarray(4));
    frame.writeInt32BE(1000, 4 + 13); // remark length beyond the header
    expectRemotingError(() => RemotingCommand.decode(frame), 'BAD_HEADER');
  });
});

describe('RemotingCommand.decode rejects bad frames with typed errors', () => {
  it('header length larger than the frame', () => {
    const f = Buffer.alloc(10);
    f.writeUInt32BE(100, 0);
    expectRemotingError(() => RemotingCommand.decode(f), 'BAD_HEADER_LENGTH');
  });
  it('frame too short for the header length field', () => {
    expectRemotingError(() => RemotingCommand.decode(Buffer.alloc(2)), 'BAD_FRAME_LENGTH');
  });
  it('unknown serialize type', () => {
    const f = Buffer.alloc(6);
    f.writeUInt32BE((5 << 24) | 2, 0);
    expectRemotingError(() => RemotingCommand.decode(f), 'BAD_SERIALIZE_TYPE');
  });
  it('garbage JSON, non-object JSON, missing or non-integer code', () => {
    for (const text of ['{not json', '[1,2]', '{"opaque":1}', '{"code":"abc"}', '{"code":1,"extFields":5}']) {
      const h = Buffer.from(text);
      const f = Buffer.alloc(4 + h.length);
      f.writeUInt32BE(h.length, 0);
      h.copy(f, 4);
      expectRemotingError(() => RemotingCommand.decode(f), 'BAD_HEADER');
    }
  });
});
