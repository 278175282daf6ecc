import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerSettings } from '../../src/net/broker/broker-config.js';
import { BrokerController } from '../../src/net/broker/broker-controller.js';
import { silentLogger } from '../../src/net/logger.js';
import { RequestCode } from '../../src/net/codes.js';
import { startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

// A second broker on a live store is the same conf started twice: it must be refused before its
// store recovery touches anything, and leave the running broker's abort marker in place.
describe('store lock', () => {
  let first: TestBroker | undefined;
  afterEach(async () => first?.close());

  const secondOn = (dir: string): BrokerController =>
    new BrokerController(
      brokerSettings(new Map(), {
        values: { brokerName: 'second', brokerIP1: '127.0.0.1', bindAddress: '127.0.0.1', listenPort: 0, namesrvAddr: '', storePathRootDir: dir, mappedFileSizeCommitLog: 4 * 1024 * 1024 },
      }),
      { logger: silentLogger },
    );

  it('refuses a second broker on a store in use, naming the holder, and frees the store on shutdown', async () => {
    first = await startTestBroker();
    const dir = first.dir;
    expect(existsSync(join(dir, 'abort'))).toBe(true);

    await expect(secondOn(dir).start()).rejects.toThrow(new RegExp(`store .* is in use by another broker or store \\(pid ${process.pid}\\)`));
    expect(existsSync(join(dir, 'abort'))).toBe(true);

    await first.controller.shutdown();
    const again = secondOn(dir);
    await again.start();
    await again.shutdown();
  });

  it('a shutdown step that fails (a full disk fails every write) does not skip the store shutdown', async () => {
    const tb = await startTestBroker();
    const dir = tb.dir;
    await tb.invoke(RequestCode.UPDATE_CONSUMER_OFFSET, { consumerGroup: 'G', topic: 'T', queueId: 0, commitOffset: 1 });
    tb.client.close();
    // Config files are written through `<file>.tmp`: a directory there makes those writes fail.
    const blocked = ['delayOffset.json.tmp', 'consumerOffset.json.tmp'].map((n) => join(dir, 'config', n));
    for (const b of blocked) mkdirSync(b, { recursive: true });
    const failure = await tb.controller.shutdown().then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(AggregateError);
    expect(String((failure as Error).message)).toMatch(/stopped with 2 failed step/);
    const errors = (failure as AggregateError).errors as NodeJS.ErrnoException[];
    expect(errors.map((e) => e.code)).toEqual(['EISDIR', 'EISDIR']);
    // The store still flushed and stopped: clean-stop marker gone, lock released.
    expect(existsSync(join(dir, 'abort'))).toBe(false);
    for (const b of blocked) rmSync(b, { recursive: true });
    const again = secondOn(dir);
    await again.start();
    await again.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });
});
