import { UsageError } from './report.js';

/** Short options of one of RocketMQ's benchmark tools, and the long options of ours they stand for. */
export interface ShortOptions {
  valued: Record<string, string>;
  /** `-k true|false` style: true gives the flag, false nothing. */
  booleans: Record<string, string>;
}

/** RocketMQ's benchmark Producer (and BatchProducer's -b). */
export const PRODUCER_OPTIONS: ShortOptions = {
  valued: { '-w': '--window', '-s': '--size', '-t': '--topic', '-b': '--batch', '-q': '--messages' },
  booleans: { '-k': '--keys', '-a': '--acl' },
};

/** RocketMQ's benchmark Consumer. */
export const CONSUMER_OPTIONS: ShortOptions = { valued: { '-t': '--topic', '-w': '--threads' }, booleans: {} };

/** Rewrites RocketMQ's short options into ours, so `npm run bench -- -w 64 -s 1024` works as there. */
export function fromRocketmqOptions(argv: string[], usage: string, options: ShortOptions = PRODUCER_OPTIONS): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const valued = options.valued[arg];
    const flag = options.booleans[arg];
    if (valued === undefined && flag === undefined) {
      out.push(arg);
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${arg} needs a value\n${usage}`);
    if (flag !== undefined) {
      if (v !== 'true' && v !== 'false') throw new UsageError(`${arg} expects true or false, got ${JSON.stringify(v)}`);
      if (v === 'true') out.push(flag);
    } else if (!(arg === '-q' && v === '0')) out.push(valued!, v); // -q 0: RocketMQ's "until stopped"
  }
  return out;
}
