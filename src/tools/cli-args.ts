/**
 * Command-line options the way Apache commons-cli (used by mqadmin) reads them: `-t value`,
 * `-tvalue`, `--topic value`, `--topic=value`; flags without a value; required options checked.
 * Anything else is a UsageError naming the problem, printed with the command's help.
 */
export interface OptionSpec {
  short: string;
  long: string;
  hasArg: boolean;
  required?: boolean;
  desc: string;
}

export function opt(short: string, long: string, hasArg: boolean, desc: string, required = false): OptionSpec {
  return { short, long, hasArg, desc, required };
}

export class UsageError extends Error {
  readonly code = 'USAGE';

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type ParsedOptions = Map<string, string | true>;

export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): ParsedOptions {
  const out: ParsedOptions = new Map();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (eq >= 0) inline = arg.slice(eq + 1);
      spec = specs.find((s) => s.long === name);
    } else if (arg.startsWith('-') && arg.length > 1) {
      spec = specs.find((s) => s.short === arg.slice(1)) ?? specs.find((s) => s.hasArg && arg.slice(1).startsWith(s.short));
      if (spec && arg.length > spec.short.length + 1) inline = arg.slice(spec.short.length + 1);
    } else {
      throw new UsageError(`Unrecognized argument: ${arg}`);
    }
    if (!spec) throw new UsageError(`Unrecognized option: ${arg}`);
    if (!spec.hasArg) {
      out.set(spec.short, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`Missing argument for option: ${spec.short}`);
    out.set(spec.short, value);
  }
  const missing = specs.filter((s) => s.required && !out.has(s.short)).map((s) => s.short);
  if (missing.length > 0) throw new UsageError(`Missing required option${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  return out;
}

/** commons-cli HelpFormatter, roughly: `usage: mqadmin <cmd> [-h] ...` then one line per option. */
export function formatHelp(command: string, specs: readonly OptionSpec[]): string {
  const synopsis = specs.map((s) => {
    const body = `-${s.short}${s.hasArg ? ` <arg>` : ''}`;
    return s.required ? body : `[${body}]`;
  });
  const lines = [`usage: mqadmin ${command} ${synopsis.join(' ')}`];
  const col = Math.max(...specs.map((s) => s.short.length + s.long.length + (s.hasArg ? 6 : 0))) + 6;
  for (const s of specs) lines.push(` -${s.short},--${s.long}${s.hasArg ? ' <arg>' : ''}`.padEnd(col + 2) + s.desc);
  return lines.join('\n') + '\n';
}

export function str(opts: ParsedOptions, key: string): string | undefined {
  const v = opts.get(key);
  return typeof v === 'string' ? v.trim() : undefined;
}

export function int(opts: ParsedOptions, key: string): number | undefined {
  const v = str(opts, key);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`option -${key}: "${v}" is not an integer`);
  return Number(v);
}

/**
 * `true` or `false` in any case. Java's tools use Boolean.parseBoolean, which reads anything else
 * as false: a typo such as `-s ture` would silently switch consumption off.
 */
export function bool(opts: ParsedOptions, key: string): boolean | undefined {
  const v = str(opts, key);
  if (v === undefined) return undefined;
  if (!/^(true|false)$/i.test(v)) throw new UsageError(`option -${key}: "${v}" is not true or false`);
  return v.toLowerCase() === 'true';
}
