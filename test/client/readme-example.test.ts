import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readmeBlock, scratchApp } from '../helpers/readme-app.js';
import { createTopic, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { waitFor } from '../net/helpers.js';

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startTestCluster();
  await createTopic(cluster, 'TopicTest');
}, 60_000);
afterAll(() => cluster?.stop());

/** The README's client example (producer and push consumer), run as a program that installed this package. */
describe('the README client example', () => {
  it('sends a message and its push consumer prints it', async () => {
    const code = readmeBlock('**Client (`src/net/client`).**');
    expect(code).toContain("from 'rocketmq-ts/");
    const app = scratchApp();
    const program = app.write('example.mjs', code.replaceAll('127.0.0.1:9876', cluster.namesrvAddr));
    // The consumer runs until stopped: wait for its output, then stop it.
    const child = spawn(process.execPath, [program], { cwd: app.dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    try {
      await waitFor(() => out.includes('hello') || child.exitCode !== null, 30_000, 'the consumer to print the message');
      expect(err).toBe('');
      expect(out.trim().split('\n')).toEqual(['hello']);
    } finally {
      child.kill('SIGKILL');
      app.cleanup();
    }
  }, 60_000);
});
