import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseFastjson, sortedKeys, stringifyFastjson } from '../../src/net/fastjson.js';
import { fixturePath } from './helpers.js';

function fixture(name: string): string {
  return readFileSync(fixturePath('fastjson', name), 'utf8');
}

/** JSON objects whose keys are all integers become Map<number, V>, as Java's Map<Integer, V>. */
function intKeyMaps(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(intKeyMaps);
  if (v === null || typeof v !== 'object') return v;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > 0 && entries.every(([k]) => /^-?\d+$/.test(k))) {
    return new Map(entries.map(([k, x]) => [Number(k), intKeyMaps(x)]));
  }
  return Object.fromEntries(entries.map(([k, x]) => [k, intKeyMaps(x)]));
}

describe('stringifyFastjson', () => {
  it('writes Map<number, V> with bare keys (legacy) and quoted, sorted keys (standard)', () => {
    const route = { brokerAddrs: new Map([[1, 'b:2'], [0, 'a:1']]), brokerName: 'x' };
    expect(stringifyFastjson(route)).toBe('{"brokerAddrs":{1:"b:2",0:"a:1"},"brokerName":"x"}');
    expect(stringifyFastjson(route, { standard: true })).toBe('{"brokerAddrs":{"0":"a:1","1":"b:2"},"brokerName":"x"}');
  });

  it('keeps object key order, omits undefined and null fields, writes bigint and Set', () => {
    const v = { z: 1, a: undefined, m: null, b: [1, null, 'x'], n: 12345678901234567890n, s: new Set(['p', 'q']), t: true };
    expect(stringifyFastjson(v)).toBe('{"z":1,"b":[1,null,"x"],"n":12345678901234567890,"s":["p","q"],"t":true}');
  });

  it('sorts string-keyed Maps only in standard mode and escapes non-ASCII there', () => {
    const m = new Map<string, string>([['b', 'é'], ['a', '\u0001']]);
    expect(stringifyFastjson(m)).toBe('{"b":"é","a":"\\u0001"}');
    expect(stringifyFastjson(m, { standard: true })).toBe('{"a":"\\u0001","b":"\\u00e9"}');
  });

  it('sortedKeys orders bean fields alphabetically', () => {
    expect(Object.keys(sortedKeys({ writeQueueNums: 1, brokerName: 'b', perm: 6 }))).toEqual(['brokerName', 'perm', 'writeQueueNums']);
  });

  it('pretty-prints consumerOffset.json byte for byte (bare-key map layout)', () => {
    const text = fixture('consumerOffset.json');
    const data = intKeyMaps(JSON.parse(text.replace(/([{,])(\d+):/g, '$1"$2":')));
    expect(stringifyFastjson(data, { pretty: true })).toBe(text);
    const manual = { offsetTable: new Map([['FixtureTopic@FixtureGroup', new Map([[0, 5], [1, 5], [2, 6], [3, 6]])]]) };
    expect(stringifyFastjson(manual, { pretty: true })).toBe('{\n\t"offsetTable":{\n\t\t"FixtureTopic@FixtureGroup":{0:5,1:5,2:6,3:6\n\t\t}\n\t}\n}');
  });

  it.each(['topics.json', 'subscriptionGroup.json'])('pretty-prints %s byte for byte', (name) => {
    const text = fixture(name);
    expect(stringifyFastjson(parseFastjson(text), { pretty: true })).toBe(text);
  });

  it('writes only own fields: inherited ones are not the bean\'s, and __proto__ is an ordinary key', () => {
    const proto = { perm: 6, topicName: 'leaked' };
    const child = Object.assign(Object.create(proto) as Record<string, unknown>, { own: 1 });
    expect(stringifyFastjson(child)).toBe('{"own":1}');
    const parsed = JSON.parse('{"__proto__":{"perm":6},"b":1}') as unknown;
    expect(stringifyFastjson(parsed)).toBe('{"__proto__":{"perm":6},"b":1}');
    expect(stringifyFastjson(new Map([['__proto__', { perm: 6 }]]))).toBe('{"__proto__":{"perm":6}}');
  });

  it('sortedKeys keeps a __proto__ field as a field', () => {
    const bean = JSON.parse('{"z":1,"__proto__":{"x":2}}') as object;
    const sorted = sortedKeys(bean);
    expect(Object.keys(sorted)).toEqual(['__proto__', 'z']);
    expect(stringifyFastjson(sorted)).toBe('{"__proto__":{"x":2},"z":1}');
  });

  it('pretty-prints empty containers and lists as fastjson does', () => {
    expect(stringifyFastjson({ offsetTable: new Map() }, { pretty: true })).toBe('{\n\t"offsetTable":{}\n}');
    expect(stringifyFastjson({ l: ['a', 'b'], e: [] }, { pretty: true })).toBe('{\n\t"l":[\n\t\t"a",\n\t\t"b"\n\t],\n\t"e":[]\n}');
  });
});

describe('parseFastjson', () => {
  it('parses standard JSON', () => {
    expect(parseFastjson('{"a":[1,2],"b":{"0":"x"}}')).toEqual({ a: [1, 2], b: { 0: 'x' } });
  });

  it('parses bare integer keys, also with fastjson pretty whitespace', () => {
    expect(parseFastjson('{0:"a",1:"b"}')).toEqual({ 0: 'a', 1: 'b' });
    expect(parseFastjson('{"offsetTable":{"T@g":{0:5,1:5\n\t\t}}}')).toEqual({ offsetTable: { 'T@g': { 0: 5, 1: 5 } } });
    expect(parseFastjson('{ -1 : 3, 2:4}')).toEqual({ '-1': 3, 2: 4 });
    expect(parseFastjson(fixture('consumerOffset.json'))).toEqual({ offsetTable: { 'FixtureTopic@FixtureGroup': { 0: 5, 1: 5, 2: 6, 3: 6 } } });
  });

  it('leaves string contents alone', () => {
    expect(parseFastjson('{"s":"{0:1},2:\\"x","k":{7:"{8:9}"}}')).toEqual({ s: '{0:1},2:"x', k: { 7: '{8:9}' } });
  });

  it('round-trips what stringifyFastjson writes in legacy form', () => {
    const v = { brokerAddrs: new Map([[0, 'a:1'], [1, 'b:2']]), list: [new Map([[3, 4]])] };
    expect(parseFastjson(stringifyFastjson(v))).toEqual({ brokerAddrs: { 0: 'a:1', 1: 'b:2' }, list: [{ 3: 4 }] });
  });

  it('throws SyntaxError on garbage', () => {
    expect(() => parseFastjson('{0:')).toThrow(SyntaxError);
    expect(() => parseFastjson('nope')).toThrow(SyntaxError);
  });
});
