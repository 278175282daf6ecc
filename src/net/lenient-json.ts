/**
 * A JSON reader for fastjson output that JSON.parse (and parseFastjson) refuse: maps keyed by
 * objects, as in TopicStatsTable and ConsumeStats, where a MessageQueue is the key:
 *
 *   {"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"maxOffset":5,"minOffset":0}}}
 *
 * Objects whose keys are all strings (quoted or bare) become plain objects; an object with any
 * non-string key becomes a Map from the parsed key to the value. Throws SyntaxError with the
 * position of the first problem.
 */
export function parseLenientJson(text: string): unknown {
  const p = new Parser(text);
  const v = p.value();
  p.ws();
  if (p.i !== text.length) p.fail('trailing characters');
  return v;
}

class Parser {
  i = 0;

  constructor(private readonly s: string) {}

  fail(why: string): never {
    throw new SyntaxError(`${why} at position ${this.i}`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i, this.i + 40));
    if (!m) this.fail('unexpected character');
    this.i += m[0].length;
    return JSON.parse(m[0]);
  }

  private string(): string {
    const start = this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.i >= this.s.length) this.fail('unterminated string');
    this.i++;
    return JSON.parse(this.s.slice(start, this.i)) as string;
  }

  private key(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{' || c === '[' || c === '"') return this.value();
    const m = /^[\w$.-]+/.exec(this.s.slice(this.i, this.i + 256));
    if (!m) this.fail('bad key');
    this.i += m[0].length;
    return m[0];
  }

  private object(): unknown {
    this.i++;
    const entries: [unknown, unknown][] = [];
    let allStrings = true;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return {};
    }
    for (;;) {
      const k = this.key();
      if (typeof k !== 'string') allStrings = false;
      this.ws();
      if (this.s[this.i] !== ':') this.fail('expected ":"');
      this.i++;
      entries.push([k, this.value()]);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') break;
      if (c !== ',') this.fail('expected "," or "}"');
    }
    return allStrings ? Object.fromEntries(entries) : new Map(entries);
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') break;
      if (c !== ',') this.fail('expected "," or "]"');
    }
    return out;
  }
}
