import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/store-paths.js';

/** The README's "store as a library" example, run as a program that installed this package. */
describe('the README store example', () => {
  it('runs as written, importing the package by name', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The store as a library'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain("from 'rocketmq-ts/");
    const { dir, cleanup } = tempDir();
    try {
      // An app directory with this package installed under its name.
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(REPO_ROOT, join(dir, 'node_modules', 'rocketmq-ts'));
      const app = join(dir, 'example.mjs');
      writeFileSync(app, code!.replace('/var/lib/mystore', join(dir, 'store')));
      const out = execFileSync(process.execPath, [app], { cwd: dir, encoding: 'utf8' });
      expect(out.trim().split('\n')).toEqual(['PUT_OK 7F00000100002A9F0000000000000000 0', 'hello']);
    } finally {
      cleanup();
    }
  });
});
