import { PROPERTY } from '../../store/index.js';
import { Namespace } from './namespace.js';
import type { Logger } from '../logger.js';
import { innerClientConfig, type ConsumerConfig } from './client-config.js';
import type { ClientInstance } from './client-instance.js';
import { MQClientError, errorMessage } from './errors.js';
import type { MessageExt } from './message.js';
import type { ProcessQueue } from './process-queue.js';
import { CLIENT_INNER_PRODUCER_GROUP } from './names.js';
import { Producer } from './producer.js';
import { retryMessage } from './retry-message.js';

/**
 * Where a push consumer's failed messages go: back to the broker for redelivery through the
 * group's retry topic (CONSUMER_SEND_MSG_BACK), else, as Java's client does, sent there by an
 * inner producer. An orderly consumer's message out of attempts takes the inner producer's way
 * with its local attempt count, which makes the broker move it to the DLQ.
 */
export class ConsumerRetry {
  private inner: Promise<Producer> | null = null;

  constructor(
    private readonly instance: () => ClientInstance | null,
    private readonly group: string,
    private readonly config: ConsumerConfig,
    private readonly logger: Logger,
  ) {}

  /** The listener saw topics without the namespace; what goes back names them as stored. */
  private get ns(): Namespace {
    return Namespace.of(this.config);
  }

  /** The limit sent with a message: -1 means RocketMQ's 16. */
  private get maxReconsumeTimes(): number {
    return this.config.maxReconsumeTimes === -1 ? 16 : this.config.maxReconsumeTimes;
  }

  async sendBack(msg: MessageExt, delayLevel: number): Promise<void> {
    const inst = this.instance();
    if (!inst) throw new MQClientError('SHUT_DOWN', 'consumer is shut down');
    const addr = inst.findBrokerAddrInPublish(msg.brokerName) ?? msg.storeHost;
    const maxReconsumeTimes = this.maxReconsumeTimes;
    try {
      await inst.api.sendMessageBack(addr, {
        offset: msg.commitLogOffset,
        group: this.group,
        delayLevel,
        originMsgId: msg.properties[PROPERTY.ORIGIN_MESSAGE_ID] ?? msg.msgId,
        originTopic: this.ns.wrap(msg.topic),
        maxReconsumeTimes,
      });
    } catch (err) {
      // As Java: a broker that refuses or cannot be reached does not keep the message here; it
      // goes to the retry topic through another route. Only if that fails too is it consumed
      // again locally (the caller's fallback).
      this.logger.warn('send back of %s to %s failed, sending it to the retry topic instead: %s', msg.msgId, addr, errorMessage(err));
      await (await this.producer()).send(retryMessage(msg, this.group, maxReconsumeTimes, this.ns.wrap(msg.topic)));
    }
  }

  /** An orderly message past its attempts: to the retry topic with its count, so the broker dead-letters it. */
  async sendToDlq(msg: MessageExt): Promise<void> {
    await (await this.producer()).send(retryMessage(msg, this.group, this.config.maxReconsumeTimes, this.ns.wrap(msg.topic)));
  }

  /**
   * consumeTimeout (ProcessQueue.cleanExpiredMsg): a message whose listener call has hung longer
   * than `timeoutMs` is sent back for redelivery (delay level 3) and settled, so it no longer
   * holds its queue's committed offset back. The hung call's own outcome is ignored later.
   */
  async sendBackExpired(queues: readonly ProcessQueue[], timeoutMs: number, settled: (pq: ProcessQueue, msgs: MessageExt[]) => void): Promise<void> {
    for (const pq of queues) {
      for (const msg of pq.expired(timeoutMs)) {
        try {
          await this.sendBack(msg, 3);
          settled(pq, [msg]);
          this.logger.warn('send expire msg back. topic=%s, msgId=%s, queueId=%d, queueOffset=%d', msg.topic, msg.msgId, msg.queueId, msg.queueOffset);
        } catch (err) {
          this.logger.warn('send expired msg %s back failed: %s', msg.msgId, errorMessage(err));
        }
      }
    }
  }

  async shutdown(): Promise<void> {
    const inner = this.inner;
    this.inner = null;
    if (inner) await (await inner.catch(() => null))?.shutdown();
  }

  private producer(): Promise<Producer> {
    this.inner ??= (async () => {
      const p = new Producer({ ...innerClientConfig(this.config), producerGroup: CLIENT_INNER_PRODUCER_GROUP, logger: this.logger });
      await p.start();
      return p;
    })();
    // A failed start is retried by the next send-back, not remembered.
    this.inner.catch(() => (this.inner = null));
    return this.inner;
  }
}
