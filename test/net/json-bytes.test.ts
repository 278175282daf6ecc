import { describe, expect, it } from 'vitest';
import { JsonBytesWriter } from '../../src/net/json-bytes.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RequestCode } from '../../src/net/codes.js';
import { SendRequestEncoder } from '../../src/net/client/send-request.js';

/** Deterministic random strings mixing every kind of character JSON.stringify treats specially. */
function randomText(seed: number, len: number): string {
  let x = seed >>> 0 || 1;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const pools = [
    () => String.fromCharCode(0x20 + (next() % 95)), // printable ASCII, " and \ included
    () => String.fromCharCode(next() % 0x20), // control characters
    () => '\u0001\u0002"\\\u007f',
    () => String.fromCharCode(0x80 + (next() % 0x780)), // two-byte UTF-8
    () => String.fromCharCode(0x800 + (next() % 0xd000)), // three-byte UTF-8
    () => '\u{1F600}', // astral: a surrogate pair
    () => String.fromCharCode(0xd800 + (next() % 0x800)), // a lone surrogate
  ];
  let s = '';
  // Mostly ASCII strings (the fast path), some with a single exotic character.
  const exotic = next() % 3 === 0;
  for (let i = 0; i < len; i++) s += pools[exotic ? next() % pools.length : next() % 3]!();
  return s;
}

describe('JsonBytesWriter', () => {
  it('writes strings byte-identical to JSON.stringify, on the ASCII path and off it', () => {
    const w = new JsonBytesWriter();
    for (let seed = 1; seed <= 3000; seed++) {
      const s = randomText(seed, seed % 97);
      const got = w.reset().string(s).bytes.toString('hex');
      expect(got, JSON.stringify(s)).toBe(Buffer.from(JSON.stringify(s)).toString('hex'));
    }
  });

  it('writes integers as String(n) does, and other numbers through String', () => {
    const w = new JsonBytesWriter();
    for (const n of [0, 1, 9, 10, -1, -10, 42, 1700000000123, -2147483648, 2147483647, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, -0.25, NaN]) {
      expect(w.reset().int(n).bytes.toString()).toBe(String(n));
    }
  });

  it('grows past its initial buffer and keeps what it wrote', () => {
    const w = new JsonBytesWriter();
    const long = 'x"'.repeat(5000);
    w.reset().ascii('{"v":').string(long).ascii('}');
    expect(JSON.parse(w.bytes.toString())).toEqual({ v: long });
  });
});

describe('SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE headers', () => {
  it('equal RemotingCommand.encode of the same extFields for random fields, flags and opaques', () => {
    const enc = new SendRequestEncoder('group\u00e9"1', 'TBW102', 4);
    for (let seed = 1; seed <= 400; seed++) {
      const code = seed % 2 === 0 ? RequestCode.SEND_MESSAGE_V2 : RequestCode.SEND_BATCH_MESSAGE;
      const topic = seed % 5 === 0 ? 'Topic\u00fcmlaut' : `Topic${seed % 7}`;
      const props = randomText(seed * 7, seed % 60);
      const body = Buffer.from(randomText(seed * 13, seed % 40));
      const [queueId, sysFlag, born, flag] = [seed % 16, (seed * 3) % 8, 1_700_000_000_000 + seed * 977, seed % 3 === 0 ? -seed : seed];
      const fast = enc.build(code, topic, queueId, sysFlag, born, flag, props, body);
      if (seed % 4 === 0) fast.markOneway();
      const generic = RemotingCommand.createRequest(
        code,
        { a: 'group\u00e9"1', b: topic, c: 'TBW102', d: 4, e: queueId, f: sysFlag, g: born, h: flag, i: props, j: 0, k: false, m: code === RequestCode.SEND_BATCH_MESSAGE },
        body,
      );
      generic.opaque = fast.opaque;
      generic.flag = fast.flag;
      const expected = generic.encode().toString('hex');
      expect(fast.encode().toString('hex'), `seed ${seed}`).toBe(expected);
      expect(Buffer.concat(fast.encodeParts()).toString('hex'), `seed ${seed}`).toBe(expected);
    }
  });
});
