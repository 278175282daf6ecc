/**
 * RocketMQ's SQL92 message filter (rocketmq-filter, a subset of JMS selectors), evaluated against a
 * message's properties, all of which are strings (TAGS and KEYS included).
 *
 *   predicate := or
 *   or        := and ('OR' and)*
 *   and       := not ('AND' not)*
 *   not       := 'NOT' not | test
 *   test      := '(' or ')' | TRUE | FALSE
 *              | ident ( cmp value | [NOT] BETWEEN num AND num | [NOT] IN '(' str (',' str)* ')'
 *                      | IS [NOT] NULL | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) str )
 *   cmp       := '=' | '<>' | '>' | '>=' | '<' | '<='
 *   value     := num | str | TRUE | FALSE
 *
 * Keywords are case-insensitive; strings are single-quoted ('' is a quote). Comparing with a number
 * reads the property as one (an integer literal wants an integer); with a boolean, as true/false.
 * Logic is three-valued, as SQL's: a missing property or a value that does not convert makes a
 * test unknown, and only a predicate that comes out true selects the message.
 */

export class SqlFilterError extends Error {
  override name = 'SqlFilterError';
}

/** true, false, or null (unknown). */
type Tri = boolean | null;
type Props = (name: string) => string | undefined;
type Node = (p: Props) => Tri;
type Literal = { kind: 'num'; v: number; int: boolean } | { kind: 'str'; v: string } | { kind: 'bool'; v: boolean };

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'CONTAINS', 'STARTSWITH', 'ENDSWITH']);
const TOKEN = /\s*(?:(\d+\.\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)?)|'((?:[^']|'')*)'|([A-Za-z_$][\w$.]*)|(<>|>=|<=|[=<>(),])|(-))/y;

interface Token {
  t: 'num' | 'str' | 'ident' | 'kw' | 'op';
  v: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw new SqlFilterError(`unexpected character at ${pos}: ${JSON.stringify(src.slice(pos, pos + 10))}`);
    pos = TOKEN.lastIndex;
    if (m[1] !== undefined) out.push({ t: 'num', v: m[1] });
    else if (m[2] !== undefined) out.push({ t: 'str', v: m[2].replace(/''/g, "'") });
    else if (m[3] !== undefined) out.push(KEYWORDS.has(m[3].toUpperCase()) ? { t: 'kw', v: m[3].toUpperCase() } : { t: 'ident', v: m[3] });
    else out.push({ t: 'op', v: m[4] ?? m[5]! });
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  parse(): Node {
    const n = this.or();
    if (this.i < this.toks.length) throw new SqlFilterError(`unexpected ${this.toks[this.i]!.v} after a complete expression`);
    return n;
  }

  private peek(v: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && (t.t === 'kw' || t.t === 'op') && t.v === v;
  }

  private take(v: string): boolean {
    if (!this.peek(v)) return false;
    this.i++;
    return true;
  }

  private expect(v: string): void {
    if (!this.take(v)) throw new SqlFilterError(`expected ${v}, found ${this.toks[this.i]?.v ?? 'the end'}`);
  }

  private or(): Node {
    return this.chain('OR', () => this.and());
  }

  private and(): Node {
    return this.chain('AND', () => this.not());
  }

  /** `next (kw next)*`, three-valued: OR is decided by a true, AND by a false; else unknown wins. */
  private chain(kw: 'AND' | 'OR', next: () => Node): Node {
    const decisive = kw === 'OR';
    let l = next();
    while (this.take(kw)) {
      const a = l;
      const b = next();
      l = (p) => {
        const x = a(p);
        if (x === decisive) return decisive;
        const y = b(p);
        if (y === decisive) return decisive;
        return x === null || y === null ? null : !decisive;
      };
    }
    return l;
  }

  private not(): Node {
    if (this.take('NOT')) {
      const n = this.not();
      return (p) => {
        const x = n(p);
        return x === null ? null : !x;
      };
    }
    return this.test();
  }

  private test(): Node {
    if (this.take('(')) {
      const n = this.or();
      this.expect(')');
      return n;
    }
    if (this.take('TRUE')) return () => true;
    if (this.take('FALSE')) return () => false;
    const t = this.toks[this.i++];
    if (t?.t !== 'ident') throw new SqlFilterError(`expected a property name, found ${t?.v ?? 'the end'}`);
    const name = t.v;
    if (this.take('IS')) {
      const negate = this.take('NOT');
      this.expect('NULL');
      return (p) => (p(name) === undefined) !== negate;
    }
    const negate = this.take('NOT');
    if (this.take('BETWEEN')) {
      const lo = this.numLiteral();
      this.expect('AND');
      const hi = this.numLiteral();
      return flip(negate, (p) => {
        const v = asNumber(p(name), lo.int && hi.int);
        return v === null ? null : v >= lo.v && v <= hi.v;
      });
    }
    if (this.take('IN')) {
      this.expect('(');
      const set = new Set<string>();
      do set.add(this.strLiteral());
      while (this.take(','));
      this.expect(')');
      return flip(negate, (p) => {
        const v = p(name);
        return v === undefined ? null : set.has(v);
      });
    }
    for (const op of ['CONTAINS', 'STARTSWITH', 'ENDSWITH'] as const) {
      if (!this.take(op)) continue;
      const s = this.strLiteral();
      const test = op === 'CONTAINS' ? (v: string) => v.includes(s) : op === 'STARTSWITH' ? (v: string) => v.startsWith(s) : (v: string) => v.endsWith(s);
      return flip(negate, (p) => {
        const v = p(name);
        return v === undefined ? null : test(v);
      });
    }
    if (negate) throw new SqlFilterError(`NOT after ${name} must be followed by BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH`);
    const op = this.toks[this.i++];
    if (op?.t !== 'op' || !['=', '<>', '>', '>=', '<', '<='].includes(op.v)) throw new SqlFilterError(`expected a comparison after ${name}, found ${op?.v ?? 'the end'}`);
    return comparison(name, op.v, this.literal());
  }

  private literal(): Literal {
    if (this.take('TRUE')) return { kind: 'bool', v: true };
    if (this.take('FALSE')) return { kind: 'bool', v: false };
    const t = this.toks[this.i];
    if (t?.t === 'str') {
      this.i++;
      return { kind: 'str', v: t.v };
    }
    return this.numLiteral();
  }

  private numLiteral(): Literal & { kind: 'num' } {
    const neg = this.take('-');
    const t = this.toks[this.i++];
    if (t?.t !== 'num') throw new SqlFilterError(`expected a number, found ${t?.v ?? 'the end'}`);
    const v = Number(t.v) * (neg ? -1 : 1);
    return { kind: 'num', v, int: /^\d+$/.test(t.v) };
  }

  private strLiteral(): string {
    const t = this.toks[this.i++];
    if (t?.t !== 'str') throw new SqlFilterError(`expected a quoted string, found ${t?.v ?? 'the end'}`);
    return t.v;
  }
}

function flip(negate: boolean, n: Node): Node {
  return negate ? (p) => {
    const x = n(p);
    return x === null ? null : !x;
  } : n;
}

/** A property read as the number a literal compares with: an integer literal wants an integer (Long.valueOf). */
function asNumber(v: string | undefined, integer: boolean): number | null {
  if (v === undefined) return null;
  const s = v.trim();
  if (integer ? !/^[+-]?\d+$/.test(s) : !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s);
}

function comparison(name: string, op: string, lit: Literal): Node {
  const order = (c: number): boolean =>
    op === '=' ? c === 0 : op === '<>' ? c !== 0 : op === '>' ? c > 0 : op === '>=' ? c >= 0 : op === '<' ? c < 0 : c <= 0;
  if (lit.kind === 'num') {
    return (p) => {
      const v = asNumber(p(name), lit.int);
      return v === null ? null : order(v === lit.v ? 0 : v > lit.v ? 1 : -1);
    };
  }
  if (op !== '=' && op !== '<>') throw new SqlFilterError(`${op} compares numbers, not ${lit.kind === 'str' ? 'strings' : 'booleans'}`);
  const want = lit.kind === 'str' ? lit.v : String(lit.v);
  return (p) => {
    let v = p(name);
    if (v === undefined) return null;
    if (lit.kind === 'bool') v = String(v.toLowerCase() === 'true');
    return (v === want) === (op === '=');
  };
}

/** Compiles an expression; throws SqlFilterError naming what is wrong. */
export function compileSql92(expression: string): (props: Props) => boolean {
  if (typeof expression !== 'string' || expression.trim() === '') throw new SqlFilterError('the expression is empty');
  const node = new Parser(tokenize(expression)).parse();
  return (p) => node(p) === true;
}
