import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ConsumeService, type MessageListener } from '../../src/net/client/consume-service.js';
import { ProcessQueue } from '../../src/net/client/process-queue.js';
import type { MessageExt } from '../../src/net/client/message.js';
import { silentLogger } from '../../src/net/logger.js';
import { waitFor } from '../net/helpers.js';

/**
 * ConsumeService without a broker: what happens to a batch after the listener answers, however
 * the listener fails, and what it keeps of the batches it consumed.
 */
function msg(queueOffset: number): MessageExt {
  return { queueOffset, topic: 'T', msgId: `id${queueOffset}`, properties: {}, body: Buffer.from('x'), reconsumeTimes: 0 } as unknown as MessageExt;
}

interface Options {
  brokerRefusesSendBack?: boolean;
  concurrency?: number;
}

function service(listener: MessageListener, opts: Options = {}): { cs: ConsumeService; pq: ProcessQueue; sentBack: string[]; commits: number[] } {
  const pq = new ProcessQueue({ topic: 'T', brokerName: 'b', queueId: 0 }, 0);
  const sentBack: string[] = [];
  const commits: number[] = [];
  const cs = new ConsumeService({
    group: 'G',
    concurrency: opts.concurrency ?? 4,
    batchMaxSize: 1,
    retryDelayMs: 10,
    logger: silentLogger,
    listener,
    sendBack: async (m) => {
      if (opts.brokerRefusesSendBack) throw new Error('SYSTEM_BUSY');
      sentBack.push(m.msgId);
    },
    settled: (q, msgs) => void commits.push(q.remove(msgs)),
  });
  return { cs, pq, sentBack, commits };
}

describe('ConsumeService', () => {
  it.each([
    ['rejects with undefined', () => Promise.reject()],
    ['throws null', () => {
      throw null;
    }],
    ['throws a string', () => {
      throw 'busy';
    }],
  ])('a listener that %s has its message sent back and committed, not crash the process', async (_what, listener) => {
    const { cs, pq, sentBack, commits } = service(listener as MessageListener);
    const m = msg(0);
    pq.put([m]);
    cs.submit(pq, [m]);
    // Before the fix, reading .message off the thrown value threw inside the catch: an unhandled
    // rejection (fatal under Node's default) and a message neither sent back nor committed.
    await waitFor(() => commits.length === 1, 5000);
    expect(sentBack).toEqual(['id0']);
    expect(commits).toEqual([1]);
    expect(pq.count).toBe(0);
  });

  it('counts a local retry as a redelivery when the broker refuses the send-back', async () => {
    const seen: number[] = [];
    const { cs, pq, commits } = service((msgs) => {
      seen.push(msgs[0]!.reconsumeTimes);
      return seen.length < 3 ? 'RECONSUME_LATER' : 'CONSUME_SUCCESS';
    }, { brokerRefusesSendBack: true });
    const m = msg(0);
    pq.put([m]);
    cs.submit(pq, [m]);
    await waitFor(() => commits.length === 1, 5000);
    // Java's processConsumeResult: reconsumeTimes + 1 for every message whose send-back failed.
    expect(seen).toEqual([0, 1, 2]);
    expect(commits).toEqual([1]);
  });

  it('lets go of consumed messages while a backlog is still waiting', async () => {
    // gc() on demand, without a command-line flag for the whole test run.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let consumed = 0;
    const { cs, pq } = service(async () => {
      await new Promise((r) => setImmediate(r));
      consumed++;
    }, { concurrency: 1 });
    // One listener call at a time over 3000 messages: the backlog stays non-empty throughout.
    const msgs = Array.from({ length: 3000 }, (_, i) => msg(i));
    const first = new WeakRef(msgs[0]!);
    pq.put(msgs);
    cs.submit(pq, msgs);
    msgs.length = 0;
    await waitFor(() => consumed >= 2000, 10_000);
    expect(pq.count).toBeGreaterThan(0);
    gc();
    // Before the fix the taken slots kept every consumed message until the backlog ran dry.
    expect(first.deref()).toBeUndefined();
    await cs.stop(0);
  });
});
