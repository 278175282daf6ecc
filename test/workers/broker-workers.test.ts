import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessages } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { Proc, brokerConf, brokerPort, createTopic, props, pullHeader, sendV2Header, spawnBroker, tempDir } from '../helpers/broker-harness.js';

const client = new RemotingClient();
const dir = tempDir('broker-workers-');
afterAll(() => {
  client.close();
  Proc.killAll();
  rmSync(dir, { recursive: true, force: true });
});

// Both dispatch settings a broker can run with, through the same process-level checks.
describe.each([true, false])('broker process with dispatchInWorkers=%s', (workers) => {
  it('serves sends, long polls, key queries, and survives SIGKILL with every acknowledged message', async () => {
    const port = await brokerPort();
    const addr = `127.0.0.1:${port}`;
    const conf = join(dir, `b-${workers}.properties`);
    writeFileSync(conf, brokerConf(port, join(dir, String(workers)), '', { dispatchInWorkers: workers, flushDiskType: 'SYNC_FLUSH', dispatchRingSlots: 1024 }));
    let { proc } = await spawnBroker(conf);
    const invoke = (code: number, ext: Record<string, string | number | boolean | null | undefined>, body?: Buffer, timeout = 5000) =>
      client.invoke(addr, RemotingCommand.createRequest(code, ext, body), timeout);
    await createTopic({ invoke: (code: number, ext: Record<string, string | number | boolean | null | undefined>) => invoke(code, ext) } as never, 'WT', 2);

    // A parked pull wakes as soon as the dispatch worker makes the message visible.
    const parked = invoke(RequestCode.PULL_MESSAGE, pullHeader('WT', 'WG', 0, 0, { suspendMs: 10_000, sysFlag: 0x6 }), undefined, 15_000);
    await new Promise((r) => setTimeout(r, 100));
    const sentAt = performance.now();
    const first = await invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('WT', { queueId: 0, properties: props({ KEYS: 'wk-0' }) }), Buffer.from('w0'));
    expect(first.code).toBe(ResponseCode.SUCCESS);
    const woke = await parked;
    expect(woke.code).toBe(ResponseCode.SUCCESS);
    expect(performance.now() - sentAt).toBeLessThan(1000);
    expect(decodeMessages(woke.body!).map((m) => m.body.toString())).toEqual(['w0']);

    const acked: string[] = ['w0'];
    for (let i = 1; i < 200; i++) {
      const r = await invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('WT', { queueId: 0, properties: props({ KEYS: `wk-${i}` }) }), Buffer.from(`w${i}`));
      expect(r.code).toBe(ResponseCode.SUCCESS);
      acked.push(`w${i}`);
    }
    const q = await invoke(RequestCode.QUERY_MESSAGE, { topic: 'WT', key: 'wk-150', maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now() + 60_000 });
    expect(q.code).toBe(ResponseCode.SUCCESS);
    expect(decodeMessages(q.body!).map((m) => m.body.toString())).toEqual(['w150']);

    proc.child.kill('SIGKILL');
    await proc.exited();
    ({ proc } = await spawnBroker(conf));
    const bodies: string[] = [];
    for (let off = 0; bodies.length < acked.length; ) {
      const r = await invoke(RequestCode.PULL_MESSAGE, pullHeader('WT', 'WG2', 0, off, { maxMsgNums: 32 }));
      expect(r.code).toBe(ResponseCode.SUCCESS);
      bodies.push(...decodeMessages(r.body!).map((m) => m.body.toString()));
      off = Number(r.extFields.nextBeginOffset);
    }
    expect(bodies).toEqual(acked);
    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toBe(0);
  });
});
