import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, pullHeader, sendV2Header } from '../helpers/broker-harness.js';
import { startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * Long-poll wake-up latency across real processes: a NameServer and a broker spawned on ephemeral
 * loopback ports, the pull and the send arriving over TCP from this process. The in-process check
 * (pull.test.ts) cannot see a broker whose dispatch-to-wake-up path breaks only when it runs as
 * its own process (config defaults, worker dispatch, the launcher).
 */
const SUSPEND = 0x2;
const SUBSCRIPTION = 0x4;
const SUSPEND_MS = 15_000;
// Generous for a loaded 2-core machine (an arrival wake-up takes milliseconds), yet far below
// every other way the pull could be answered: the suspend timeout (15 s), the hold service's
// periodic check (5 s) and short polling (set to 30 s below).
const WAKE_BOUND_MS = 1000;
// Time for the PULL to reach the broker and be parked before the message is sent.
const PARK_MS = 200;

let cluster: LocalCluster;
const client = new RemotingClient();
const invoke = (code: number, ext: Record<string, string | number | boolean | undefined | null>, body?: Buffer, timeoutMs = 5000): Promise<RemotingCommand> =>
  client.invoke(cluster.brokerAddr, RemotingCommand.createRequest(code, ext, body), timeoutMs);

beforeAll(async () => {
  // Were long polling off, or arrivals ignored, a short-polling answer must not pass for a wake-up.
  cluster = await startTestCluster({ brokerProps: { shortPollingTimeMills: 30_000 } });
  expect((await createTopic({ invoke }, 'LongPollProc', 1)).code).toBe(ResponseCode.SUCCESS);
});

afterAll(async () => {
  client.close();
  await cluster?.stop();
});

describe('long polling across processes', () => {
  it('answers a parked PULL_MESSAGE with FOUND right after a message arrives', async () => {
    // Two rounds: the periodic check could by chance fall just after one send, never after both,
    // since the second round starts right after the first is answered and the check is 5 s apart.
    for (let round = 0; round < 2; round++) {
      const header = pullHeader('LongPollProc', 'LongPollProcGroup', 0, round, { sysFlag: SUSPEND | SUBSCRIPTION, suspendMs: SUSPEND_MS });
      const parked = invoke(RequestCode.PULL_MESSAGE, header, undefined, SUSPEND_MS + 5000);
      await new Promise((r) => setTimeout(r, PARK_MS));
      const t0 = performance.now();
      const sent = await invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('LongPollProc', { queueId: 0 }), Buffer.from(`wake-${round}`));
      expect(sent.code).toBe(ResponseCode.SUCCESS);
      const r = await parked;
      const latency = performance.now() - t0;
      expect(r.code, `round ${round}`).toBe(ResponseCode.SUCCESS);
      expect(decodeMessages(r.body!).map((m) => m.body.toString())).toEqual([`wake-${round}`]);
      expect(latency, `round ${round} wake-up latency`).toBeLessThan(WAKE_BOUND_MS);
    }
  });
});
