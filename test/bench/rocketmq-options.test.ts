import { describe, expect, it } from 'vitest';
import { CONSUMER_OPTIONS, fromRocketmqOptions } from '../../bench/rocketmq-options.js';

describe("RocketMQ's benchmark Producer options", () => {
  it('stand for the long options, booleans as flags, -q 0 as no limit', () => {
    expect(fromRocketmqOptions(['-n', '127.0.0.1:9876', '-w', '64', '-s', '1024', '-t', 'BenchmarkTest', '-k', 'true', '-a', 'false', '-b', '16', '-q', '5000', '--duration', '3'], 'usage')).toEqual([
      '-n', '127.0.0.1:9876', '--window', '64', '--size', '1024', '--topic', 'BenchmarkTest', '--keys', '--batch', '16', '--messages', '5000', '--duration', '3',
    ]);
    expect(fromRocketmqOptions(['-q', '0', '-k', 'false'], 'usage')).toEqual([]);
  });

  it("the Consumer's -t and -w stand for --topic and --threads", () => {
    expect(fromRocketmqOptions(['-t', 'BenchmarkTest', '-w', '20', '--messages', '1000'], 'usage', CONSUMER_OPTIONS)).toEqual(['--topic', 'BenchmarkTest', '--threads', '20', '--messages', '1000']);
    expect(fromRocketmqOptions(['-k', 'true'], 'usage', CONSUMER_OPTIONS)).toEqual(['-k', 'true']); // not one of its options: left to be refused
  });

  it('refuse a missing value or a boolean that is not true or false', () => {
    expect(() => fromRocketmqOptions(['-w'], 'usage: x')).toThrow(/^-w needs a value\nusage: x$/);
    expect(() => fromRocketmqOptions(['-k', 'yes'], 'usage')).toThrow('-k expects true or false, got "yes"');
  });
});
