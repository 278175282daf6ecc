import { PROPERTY } from '../../store/index.js';
import { RequestCode, ResponseCode } from '../codes.js';
import type { Logger } from '../logger.js';
import type { RemotingClient } from '../remoting-client.js';
import { RemotingCommand } from '../remoting-command.js';
import type { ConsumerMember, ProducerMember } from './client-instance.js';
import { encodeRunningInfo } from './consumer-running-info.js';
import { decodeMessageExts } from './message.js';
import type { MessageQueue } from './message-queue.js';
import { mqKeyedJson, mqKeyedOffsetTable } from './mq-keyed-map.js';
import { type ReplyWaiters, replyFromPush } from './request-reply.js';

/** What the handlers of broker-to-client requests reach in their client instance. */
export interface ClientProcessorHost {
  remoting: RemotingClient;
  replies: ReplyWaiters;
  logger: Logger;
  consumer(group: string): ConsumerMember | undefined;
  producer(group: string): ProducerMember | undefined;
  rebalanceNow(): Promise<void>;
}

/**
 * ClientRemotingProcessor: the requests brokers send to a client: offset resets, request-reply
 * replies, direct consumption, running info, transaction check-backs and membership changes.
 */
export function registerClientProcessors(h: ClientProcessorHost): void {
    // An admin reset a group's offsets by time (ClientRemotingProcessor.resetOffset): the broker
    // sends each online member the new offsets, which only the member itself can apply.
    h.remoting.registerProcessor(RequestCode.RESET_CONSUMER_CLIENT_OFFSET, (req) => {
      const group = req.extFields.group ?? '';
      const topic = req.extFields.topic ?? '';
      const consumer = h.consumer(group);
      if (!consumer?.resetOffsets) return null;
      let table: [MessageQueue, number][];
      try {
        table = mqKeyedOffsetTable(req.body, 'broker').map(([mq, v]) => [mq, Number(v)] as [MessageQueue, number]).filter(([mq, v]) => mq.topic === topic && Number.isInteger(v) && v >= 0);
      } catch (err) {
        h.logger.warn('reset offset of %s on %s: %s', group, topic, (err as Error).message);
        return null;
      }
      h.logger.info('reset offset of %s on %s: %d queue(s)', group, topic, table.length);
      void consumer.resetOffsets(topic, table).catch((err: unknown) => h.logger.warn('reset offset of %s on %s failed: %s', group, topic, (err as Error).message));
      return null;
    });
    // A reply to one of this client's requests, pushed by the broker (ClientRemotingProcessor.receiveReplyMessage).
    h.remoting.registerProcessor(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, (req) => {
      try {
        h.replies.complete(replyFromPush(req, ''));
        return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
      } catch (err) {
        h.logger.warn('process reply message failed: %s', (err as Error).message);
        return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, 'process reply message fail');
      }
    });
    // An admin hands a consumer one stored message (ClientRemotingProcessor.consumeMessageDirectly).
    h.remoting.registerProcessor(RequestCode.CONSUME_MESSAGE_DIRECTLY, async (req) => {
      const group = req.extFields.consumerGroup ?? '';
      const consumer = h.consumer(group);
      const [msg] = decodeMessageExts(req.body, req.extFields.brokerName ?? '');
      if (!consumer?.consumeDirectly || !msg) return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer Group <${group}> not exist in this consumer`);
      const result = await consumer.consumeDirectly(msg, req.extFields.brokerName ?? '');
      return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(JSON.stringify(result)));
    });
    // An admin asks, through the broker, what a consumer is doing (ClientRemotingProcessor.getConsumerRunningInfo).
    h.remoting.registerProcessor(RequestCode.GET_CONSUMER_RUNNING_INFO, (req) => {
      const group = req.extFields.consumerGroup ?? '';
      const consumer = h.consumer(group);
      if (!consumer?.runningInfo) return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer Group <${group}> not exist in this consumer`);
      const info = consumer.runningInfo();
      if (req.extFields.jstackEnable === 'true') info.jstack = processDump();
      return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeRunningInfo(info));
    });
    // An admin asks, through the broker, for the offsets a member holds (ClientRemotingProcessor.getConsumeStatus).
    h.remoting.registerProcessor(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, (req) => {
      const table = h.consumer(req.extFields.group ?? '')?.offsetTable?.(req.extFields.topic ?? '') ?? [];
      const body = `{"consumerTable":{},"messageQueueTable":${mqKeyedJson(table)}}`;
      return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(body));
    });
    // A broker asks about a transaction's half message (ClientRemotingProcessor.checkTransactionState):
    // the producer of the half's group answers with END_TRANSACTION on the same broker.
    h.remoting.registerProcessor(RequestCode.CHECK_TRANSACTION_STATE, (req, conn) => {
      const [msg] = decodeMessageExts(req.body, '', (err) => h.logger.warn('check transaction state: the message does not decode: %s', (err as Error).message));
      if (!msg) return null;
      const group = msg.properties[PROPERTY.PGROUP] ?? '';
      const producer = h.producer(group);
      if (!producer?.checkTransactionState) {
        h.logger.warn('check transaction state: no transaction producer of group %s here', group);
        return null;
      }
      producer.checkTransactionState(conn.remoteAddress, msg, req.extFields);
      return null;
    });
    h.remoting.registerProcessor(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, (req) => {
      h.logger.info('consumer ids of group %s changed: rebalancing now', req.extFields.consumerGroup ?? '?');
      void h.rebalanceNow();
      return null;
    });
}

/** Node's stand-in for the jstack a Java client attaches: what this process is and what keeps it busy. */
function processDump(): string {
  const mem = process.memoryUsage();
  const resources = process.getActiveResourcesInfo().reduce<Record<string, number>>((acc, r) => ((acc[r] = (acc[r] ?? 0) + 1), acc), {});
  return [
    `node ${process.version} pid ${process.pid} uptime ${process.uptime().toFixed(0)}s`,
    `memory: rss ${mem.rss} heapUsed ${mem.heapUsed} external ${mem.external}`,
    `active resources: ${Object.entries(resources).map(([k, n]) => `${k} x${n}`).join(', ')}`,
    '',
  ].join('\n');
}
