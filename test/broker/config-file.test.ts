import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigFileError, ConfigFileWriter, readConfigFile } from '../../src/net/broker/config-file.js';
import { tempDir } from '../helpers/broker-harness.js';

describe('config files', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serializes rewrites and coalesces the ones asked for meanwhile into one write of the newest text', async () => {
    dir = tempDir();
    const path = join(dir, 'config', 'x.json');
    const w = new ConfigFileWriter(path);
    const writes = [w.write('{"v":1}'), w.write('{"v":2}'), w.write('{"v":3}')];
    await Promise.all(writes);
    expect(readFileSync(path, 'utf8')).toBe('{"v":3}');
    // 1 was written, 2 was replaced by 3 before its turn came: the backup holds 1.
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe('{"v":1}');
    expect(readdirSync(join(dir, 'config')).sort()).toEqual(['x.json', 'x.json.bak']);
    expect(readConfigFile(path, (v) => v)).toEqual({ v: 3 });
  });

  it('does not rewrite a text equal to the last one written', async () => {
    dir = tempDir();
    const path = join(dir, 'x.json');
    const w = new ConfigFileWriter(path);
    await w.write('{"a":1}');
    await w.write('{"a":2}');
    rmSync(`${path}.bak`);
    const before = statSync(path).mtimeMs;
    await w.write('{"a":2}');
    expect(existsSync(`${path}.bak`)).toBe(false);
    expect(statSync(path).mtimeMs).toBe(before);
    await w.write('{"a":3}');
    expect(readFileSync(`${path}.bak`, 'utf8')).toBe('{"a":2}');
  });

  it('rejects a failed write, keeps the old file, and writes again on the next call', async () => {
    dir = tempDir();
    const path = join(dir, 'x.json');
    const w = new ConfigFileWriter(path);
    await w.write('{"ok":1}');
    mkdirSync(`${path}.tmp`); // open(2) of the temporary fails with EISDIR
    await expect(w.write('{"ok":2}')).rejects.toThrow(/EISDIR/);
    expect(readFileSync(path, 'utf8')).toBe('{"ok":1}');
    rmSync(`${path}.tmp`, { recursive: true });
    await w.write('{"ok":2}');
    expect(readFileSync(path, 'utf8')).toBe('{"ok":2}');
    await w.idle();
  });

  it('falls back to the .bak copy and refuses to start empty when neither copy parses', () => {
    dir = tempDir();
    const path = join(dir, 'x.json');
    writeFileSync(path, '{not json');
    writeFileSync(`${path}.bak`, '{"b":1}');
    expect(readConfigFile(path, (v) => v)).toEqual({ b: 1 });
    writeFileSync(`${path}.bak`, '{also not');
    expect(() => readConfigFile(path, (v) => v)).toThrow(ConfigFileError);
  });
});
