import { RequestCode, ResponseCode } from '../../codes.js';
import { parseFastjson, stringifyFastjson } from '../../fastjson.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import type { MessageQueueRef, RebalanceLockManager } from '../rebalance-lock-manager.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

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
  const mqSet = v.mqSet.map((m: Record<string, unknown>) => ({ topic: String(m?.topic ?? ''), brokerName: String(m?.brokerName ?? ''), queueId: Number(m?.queueId ?? -1) }));
  return { clientId: v.clientId, consumerGroup: v.consumerGroup, mqSet };
}
