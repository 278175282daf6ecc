import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexHeader } from '../../src/store/index-file.js';

/**
 * The IndexFile a real RocketMQ 4.9 broker wrote (64 slots, 256 entries) and the messages it
 * indexed, copied from the shared golden data. Compiled to dist/test/store/: fixtures stay in the
 * source tree.
 */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
export const RMQ_INDEX_FILE = join(FIXTURES, 'rocketmq-4.9-store/index/20261121210442921');

export interface FixtureMessage {
  topic: string;
  keys: string[];
  commitLogOffset: number;
  storeTimestamp: number;
  sysFlag: number;
  propertiesAsStored: Record<string, string>;
}
export const RMQ_INDEX = JSON.parse(readFileSync(join(FIXTURES, 'rocketmq-4.9-index.json'), 'utf8')) as {
  indexFile: { hashSlotNum: number; indexNum: number; size: number };
  indexHeader: IndexHeader;
  messages: FixtureMessage[];
};

