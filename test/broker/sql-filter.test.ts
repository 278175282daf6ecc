import { describe, expect, it } from 'vitest';
import { compileSql92, SqlFilterError } from '../../src/net/broker/sql-filter.js';

const props = (o: Record<string, string>) => (name: string) => o[name];
const m = (expr: string, o: Record<string, string>) => compileSql92(expr)(props(o));

describe('SQL92 message filter', () => {
  it("matches RocketMQ's documented example: a > 5 AND b = 'abc'", () => {
    expect(m("a > 5 AND b = 'abc'", { a: '10', b: 'abc', c: 'true' })).toBe(true);
    expect(m("a > 5 AND b = 'abc'", { a: '1', b: 'abc', c: 'true' })).toBe(false);
  });

  it('compares numbers, strings and booleans; BETWEEN, IN, IS [NOT] NULL, NOT, parentheses', () => {
    const o = { a: '3', f: '2.5', s: 'x', t: 'TagA', c: 'TRUE' };
    expect(m('a BETWEEN 0 AND 3', o)).toBe(true);
    expect(m('a NOT BETWEEN 0 AND 3', o)).toBe(false);
    expect(m('f >= 2.5 AND f < 3.0', o)).toBe(true);
    // As Java's Long.valueOf: against an integer literal, 2.5 is no number at all.
    expect(m('f < 3', o)).toBe(false);
    expect(m('a = 3 and a <> 4 and a <= 3 and a >= -1', o)).toBe(true);
    expect(m("TAGS IN ('TagA', 'TagB')", { TAGS: 'TagA' })).toBe(true);
    expect(m("t NOT IN ('TagA')", o)).toBe(false);
    expect(m('zz IS NULL AND a IS NOT NULL', o)).toBe(true);
    expect(m('c = TRUE', o)).toBe(true);
    expect(m("NOT (s = 'y') OR a > 100", o)).toBe(true);
    expect(m("s CONTAINS 'x' AND t STARTSWITH 'Tag' AND t ENDSWITH 'A' AND t NOT CONTAINS 'B'", o)).toBe(true);
    expect(m("s = 'it''s'", { s: "it's" })).toBe(true);
  });

  it('is three-valued: a missing or unconvertible property is unknown, and unknown never selects', () => {
    expect(m('a > 5', {})).toBe(false);
    expect(m('NOT (a > 5)', {})).toBe(false);
    expect(m('a > 5 OR TRUE', {})).toBe(true);
    expect(m('a > 5 AND FALSE', {})).toBe(false);
    // An integer literal wants an integer: 3.5 is not Long.valueOf-able.
    expect(m('a > 1', { a: '3.5' })).toBe(false);
    expect(m('a > 1.0', { a: '3.5' })).toBe(true);
    expect(m('a = 1', { a: 'one' })).toBe(false);
  });

  it('refuses what is not an expression, naming the problem', () => {
    for (const bad of ['', 'a >', "a > 'x'", 'a = 1 b = 2', '(a = 1', "a LIKE 'x'", 'a NOT = 1', "a IN ()", '5 = a', 'a = #']) {
      expect(() => compileSql92(bad), bad).toThrow(SqlFilterError);
    }
  });
});
