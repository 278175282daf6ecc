import { RequestCode, ResponseCode } from '../../codes.js';
import { parseFastjson, stringifyFastjson } from '../../fastjson.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import type { MessageQueueRef, RebalanceLockManager } from '../rebalance-lock-manager.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';
import { jsonJavaInt } from '../../java-number.js';

/**
 * LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42), used by orderly push consumers. Body
 * `{"clientId":..,"consumerGroup":..,"mqSet":[{"brokerName":..,"queueId":0,"topic":..}]}`; the
 * lock answer is `{"lockOKMQSet":[...]}`.
 */
export function queueLockProcessors(ctx: BrokerContext, locks: RebalanceLockManager): ProcessorTable {
  return [
    [RequestCode.LOCK_BATCH_MQ, guarded(ctx.logger, 'lock queues', (req) => {
      const b = parseLockBody(req);
      const ok = locks.tryLockBatch(b.consumerGroup, b.mqSet, b.clientId);
      return success(req, undefined, jsonBody(stringifyFastjson({ lockOKMQSet: ok.map(mqJson) })));
    })],
    [RequestCode.UNLOCK_BATCH_MQ, guarded(ctx.logger, 'unlock queues', (req) => {
      const b = parseLockBody(req);
      locks.unlockBatch(b.consumerGroup, b.mqSet, b.clientId);
      return success(req);
    })],
  ];
}

function mqJson(mq: MessageQueueRef): Record<string, unknown> {
  return { brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic };
}

function parseLockBody(req: RemotingCommand): { clientId: string; consumerGroup: string; mqSet: MessageQueueRef[] } {
  let v: Record<string, unknown>;
  try {
    v = (parseFastjson(req.body?.toString('utf8') ?? '') ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `lock batch body is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof v.clientId !== 'string' || typeof v.consumerGroup !== 'string' || !Array.isArray(v.mqSet)) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, 'lock batch body needs clientId, consumerGroup and mqSet');
  }
  // Each entry is a Java MessageQueue: fastjson refuses one of the wrong shape, and so do we,
  // rather than lock topic "[object Object]" or queue 1e300.
  const mqSet = v.mqSet.map((m: unknown, i: number): MessageQueueRef => {
    const e = (m ?? {}) as Record<string, unknown>;
    const queueId = jsonJavaInt(e.queueId);
    if (typeof e.topic !== 'string' || typeof e.brokerName !== 'string' || queueId === undefined || queueId < 0) {
      throw new BrokerError(ResponseCode.SYSTEM_ERROR, `lock batch body: mqSet[${i}] is not a message queue {topic, brokerName, queueId}`);
    }
    return { topic: e.topic, brokerName: e.brokerName, queueId };
  });
  return { clientId: v.clientId, consumerGroup: v.consumerGroup, mqSet };
}
