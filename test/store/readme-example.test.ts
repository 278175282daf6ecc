import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readmeBlock, scratchApp } from '../helpers/readme-app.js';

/** The README's "store as a library" example, run as a program that installed this package. */
describe('the README store example', () => {
  it('runs as written, importing the package by name', () => {
    const code = readmeBlock('## The store as a library');
    expect(code).toContain("from 'rocketmq-ts/");
    const app = scratchApp();
    try {
      const program = app.write('example.mjs', code.replace('/var/lib/mystore', join(app.dir, 'store')));
      const out = execFileSync(process.execPath, [program], { cwd: app.dir, encoding: 'utf8' });
      expect(out.trim().split('\n')).toEqual(['PUT_OK 7F00000100002A9F0000000000000000 0', 'hello']);
    } finally {
      app.cleanup();
    }
  });
});
