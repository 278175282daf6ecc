import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStoreConfig, parsePropertiesText, storeConfig, StoreError, STORE_DEFAULTS } from '../../src/store/index.js';
import { tempDir } from '../helpers/store-paths.js';

describe('store config', () => {
  it('reads Java .properties syntax', () => {
    const p = parsePropertiesText('# c\n! c2\n  a = 1\nb:2\nc 3\nd=x\\\n   y\ne=tab\\tend\nf=\\u0041\ng=trailing  \n');
    expect(Object.fromEntries(p)).toEqual({ a: '1', b: '2', c: '3', d: 'xy', e: 'tab\tend', f: 'A', g: 'trailing  ' });
  });

  it('has RocketMQ defaults', () => {
    const c = storeConfig();
    expect(c.mappedFileSizeCommitLog).toBe(1073741824);
    expect(c.mappedFileSizeConsumeQueue).toBe(6000000);
    expect(c.flushDiskType).toBe('ASYNC_FLUSH');
    expect(c.maxMessageSize).toBe(4194304);
    expect(c.syncFlushTimeout).toBe(5000);
    expect(STORE_DEFAULTS.flushIntervalCommitLog).toBe(500);
  });

  it('warns about unknown keys by name and rejects bad values naming the key', () => {
    const t = tempDir();
    try {
      const f = join(t.dir, 'store.properties');
      writeFileSync(f, 'storePathRootDir=/tmp/x\nflushDiskType=SYNC_FLUSH\nmappedFileSizeConsumeQueue=1001\nbogusKey=1\n');
      const warnings: string[] = [];
      const c = loadStoreConfig(f, (m) => warnings.push(m));
      expect(c.flushDiskType).toBe('SYNC_FLUSH');
      expect(c.mappedFileSizeConsumeQueue).toBe(1020);
      expect(warnings).toEqual(['unknown config key "bogusKey" ignored']);
      for (const [k, v] of [
        ['flushDiskType', 'SYNC_FLUSH '],
        ['maxMessageSize', '4M'],
        ['checkCRCOnRecover', 'yes'],
        ['mappedFileSizeCommitLog', '100'],
      ] as const) {
        writeFileSync(f, `${k}=${v}\n`);
        expect(() => loadStoreConfig(f)).toThrow(StoreError);
        expect(() => loadStoreConfig(f)).toThrow(k);
      }
    } finally {
      t.cleanup();
    }
  });
});
