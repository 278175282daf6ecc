import { PROPERTY } from '../../store/index.js';
import type { ConsumeContext, MessageListener } from './consume-service.js';
import type { ConsumeOrderlyContext, MessageListenerOrderly } from './consume-orderly-service.js';
import type { MessageExt } from './message.js';
import { isRetryTopic } from './names.js';

/** ConsumeMessageDirectlyResult, as RocketMQ serializes it. */
export interface ConsumeMessageDirectlyResult {
  order: boolean;
  autoCommit: boolean;
  consumeResult: 'CR_SUCCESS' | 'CR_LATER' | 'CR_THROW_EXCEPTION';
  remark?: string;
  spentTimeMills: number;
}

/**
 * CONSUME_MESSAGE_DIRECTLY (ConsumeMessageConcurrentlyService / OrderlyService.consumeMessageDirectly):
 * an admin hands this consumer one stored message; its listener runs on it once, outside the
 * pull flow (no offset moves, nothing is sent back), and the outcome is reported.
 */
export async function consumeDirectly(
  listener: { orderly: MessageListenerOrderly } | { concurrent: MessageListener },
  msg: MessageExt,
  brokerName: string,
): Promise<ConsumeMessageDirectlyResult> {
  msg.brokerName = brokerName;
  const origin = msg.properties[PROPERTY.RETRY_TOPIC];
  if (origin !== undefined && isRetryTopic(msg.topic)) msg.topic = origin;
  const mq = { topic: msg.topic, brokerName, queueId: msg.queueId };
  const order = 'orderly' in listener;
  const began = Date.now();
  let consumeResult: ConsumeMessageDirectlyResult['consumeResult'];
  let remark: string | undefined;
  try {
    if ('orderly' in listener) {
      const ctx: ConsumeOrderlyContext = { mq, suspendCurrentQueueTimeMillis: -1 };
      const status = await listener.orderly([msg], ctx);
      consumeResult = status === undefined || status === 'SUCCESS' ? 'CR_SUCCESS' : 'CR_LATER';
    } else {
      const ctx: ConsumeContext = { mq, delayLevelWhenNextConsume: 0 };
      const status = await listener.concurrent([msg], ctx);
      consumeResult = status === undefined || status === 'CONSUME_SUCCESS' ? 'CR_SUCCESS' : 'CR_LATER';
    }
  } catch (err) {
    consumeResult = 'CR_THROW_EXCEPTION';
    remark = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const out: ConsumeMessageDirectlyResult = { order, autoCommit: true, consumeResult, spentTimeMills: Date.now() - began };
  if (remark !== undefined) out.remark = remark;
  return out;
}
