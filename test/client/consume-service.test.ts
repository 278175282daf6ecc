import { describe, expect, it } from 'vitest';
import { ConsumeService, type MessageListener } from '../../src/net/client/consume-service.js';
import { ProcessQueue } from '../../src/net/client/process-queue.js';
import type { MessageExt } from '../../src/net/client/message.js';
import { silentLogger } from '../../src/net/logger.js';
import { waitFor } from '../net/helpers.js';

/**
 * ConsumeService without a broker: what happens to a batch after the listener answers, however
 * the listener fails.
 */
function msg(queueOffset: number): MessageExt {
  return { queueOffset, topic: 'T', msgId: `id${queueOffset}`, properties: {}, body: Buffer.from('x'), reconsumeTimes: 0 } as unknown as MessageExt;
}

function service(listener: MessageListener, brokerRefusesSendBack = false): { cs: ConsumeService; pq: ProcessQueue; sentBack: string[]; commits: number[] } {
  const pq = new ProcessQueue({ topic: 'T', brokerName: 'b', queueId: 0 }, 0);
  const sentBack: string[] = [];
  const commits: number[] = [];
  const cs = new ConsumeService({
    group: 'G',
    concurrency: 4,
    batchMaxSize: 1,
    retryDelayMs: 10,
    logger: silentLogger,
    listener,
    sendBack: async (m) => {
      if (brokerRefusesSendBack) throw new Error('SYSTEM_BUSY');
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
    }, true);
    const m = msg(0);
    pq.put([m]);
    cs.submit(pq, [m]);
    await waitFor(() => commits.length === 1, 5000);
    // Java's processConsumeResult: reconsumeTimes + 1 for every message whose send-back failed.
    expect(seen).toEqual([0, 1, 2]);
    expect(commits).toEqual([1]);
  });
});
