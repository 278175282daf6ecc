import { describe, expect, it } from 'vitest';
import { storeConfig } from '../../src/store/index.js';
import { isTimeToDelete, parseDeleteWhen } from '../../src/store/delete-when.js';

describe('deleteWhen', () => {
  it('parses hours and "*", rejects anything else', () => {
    expect([...parseDeleteWhen('04;16').hours]).toEqual([4, 16]);
    expect(parseDeleteWhen('*').everyHour).toBe(true);
    expect(isTimeToDelete('04', new Date(2026, 0, 1, 4, 59))).toBe(true);
    expect(isTimeToDelete('04;05', new Date(2026, 0, 1, 5, 0))).toBe(true);
    expect(isTimeToDelete('04', new Date(2026, 0, 1, 3, 59))).toBe(false);
    expect(() => storeConfig({ deleteWhen: '4am' })).toThrow(/"deleteWhen"/);
    expect(() => storeConfig({ deleteWhen: '24' })).toThrow(/"deleteWhen"/);
  });
});

describe('fileReservedTime', () => {
  it('may be fractional (hours)', () => {
    expect(storeConfig(new Map([['fileReservedTime', '0.5']])).fileReservedTime).toBe(0.5);
    expect(() => storeConfig(new Map([['fileReservedTime', '-1']]))).toThrow(/"fileReservedTime"/);
  });
});
