import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import {
  LanguageCode,
  RESPONSE_CODES,
  RequestCode,
  ResponseCode,
  languageFromNumber,
  languageToNumber,
  requestCodeName,
  responseCodeName,
} from '../../src/net/codes.js';

const require = createRequire(import.meta.url);

describe('codes', () => {
  it('agree with the numbers of an independent client (ali-ons) for every name both know', () => {
    const theirRequests = require('ali-ons/lib/protocol/request_code.js') as Record<string, number>;
    const theirResponses = require('ali-ons/lib/protocol/response_code.js') as Record<string, number>;
    const ours = RequestCode as Record<string, number>;
    for (const [name, code] of Object.entries(theirRequests)) {
      // ali-ons keeps Java's old misspelling GET_ROUTEINTO_BY_TOPIC.
      const key = name === 'GET_ROUTEINTO_BY_TOPIC' ? 'GET_ROUTEINFO_BY_TOPIC' : name;
      expect(ours[key], name).toBe(code);
    }
    for (const [name, code] of Object.entries(theirResponses)) expect((ResponseCode as Record<string, number>)[name], name).toBe(code);
  });

  it('have unique numbers and a name lookup', () => {
    expect(new Set(Object.values(RequestCode)).size).toBe(Object.keys(RequestCode).length);
    expect(new Set(Object.values(ResponseCode)).size).toBe(Object.keys(ResponseCode).length);
    expect(requestCodeName(310)).toBe('SEND_MESSAGE_V2');
    expect(responseCodeName(17)).toBe('TOPIC_NOT_EXIST');
    expect(responseCodeName(9999)).toBe('UNKNOWN(9999)');
  });

  it('describe every response code once, with retriable flags for the producer’s retry codes', () => {
    expect(RESPONSE_CODES.size).toBe(Object.keys(ResponseCode).length);
    expect(RESPONSE_CODES.get(ResponseCode.SYSTEM_BUSY)).toEqual({ name: 'SYSTEM_BUSY', code: 2, retriable: true });
    expect(RESPONSE_CODES.get(ResponseCode.TOPIC_NOT_EXIST)!.retriable).toBe(true);
    expect(RESPONSE_CODES.get(ResponseCode.MESSAGE_ILLEGAL)!.retriable).toBe(false);
    expect(RESPONSE_CODES.get(ResponseCode.SUCCESS)!.retriable).toBe(false);
  });

  it('map language names and binary numbers both ways', () => {
    expect(languageToNumber('JAVA')).toBe(0);
    expect(languageToNumber('RUST')).toBe(12);
    expect(languageToNumber('COBOL')).toBe(LanguageCode.OTHER);
    for (const name of ['constructor', '__proto__', 'toString']) expect(languageToNumber(name)).toBe(LanguageCode.OTHER);
    expect(languageFromNumber(9)).toBe('GO');
    expect(languageFromNumber(200)).toBe('OTHER');
    for (const [name, n] of Object.entries(LanguageCode)) expect(languageFromNumber(n)).toBe(name);
  });
});
