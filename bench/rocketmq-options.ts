import { UsageError } from './report.js';

/** RocketMQ's benchmark Producer options, as the long options they stand for. */
const ROCKETMQ_VALUED: Record<string, string> = { '-w': '--window', '-s': '--size', '-t': '--topic', '-b': '--batch', '-q': '--messages' };
const ROCKETMQ_BOOLEAN: Record<string, string> = { '-k': '--keys', '-a': '--acl' };

/** Rewrites RocketMQ's short options into ours, so `npm run bench -- -w 64 -s 1024` works as there. */
export function fromRocketmqOptions(argv: string[], usage: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const valued = ROCKETMQ_VALUED[arg];
    const flag = ROCKETMQ_BOOLEAN[arg];
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
