import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStoreConfig, parsePropertiesText, rewritePropertiesFile, storeConfig, StoreError, STORE_DEFAULTS } from '../../src/store/index.js';
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

describe('rewritePropertiesFile (UPDATE_BROKER_CONFIG writing the -c file)', () => {
  it('replaces and appends keys, keeping comments, order and the file\'s permissions', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'broker.conf');
      writeFileSync(f, '# my broker\nbrokerName=b1\n\n! note\nflushDiskType=ASYNC_FLUSH\n');
      chmodSync(f, 0o600);
      await rewritePropertiesFile(f, new Map([['flushDiskType', 'SYNC_FLUSH'], ['fileReservedTime', '48']]));
      expect(readFileSync(f, 'utf8')).toBe('# my broker\nbrokerName=b1\n\n! note\nflushDiskType=SYNC_FLUSH\nfileReservedTime=48\n');
      expect(statSync(f).mode & 0o777).toBe(0o600);
      await rewritePropertiesFile(join(dir, 'new.conf'), new Map([['a', '1']]));
      expect(readFileSync(join(dir, 'new.conf'), 'utf8')).toBe('a=1\n');
      expect(readdirSync(dir).sort()).toEqual(['broker.conf', 'new.conf']);
    } finally {
      cleanup();
    }
  });

  it('refuses a file it cannot read instead of replacing it with the new keys alone', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'broker.conf');
      mkdirSync(f); // EISDIR on read; any read error (EIO, EMFILE) must stop the rewrite alike
      const err = await rewritePropertiesFile(f, new Map([['a', '1']])).catch((e: unknown) => e);
      expect((err as NodeJS.ErrnoException).code).toBe('EISDIR');
      expect(existsSync(`${f}.tmp`)).toBe(false);
      expect(statSync(f).isDirectory()).toBe(true);
    } finally {
      cleanup();
    }
  });
});
