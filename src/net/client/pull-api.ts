import { RemotingCommand } from '../remoting-command.js';
import { RequestCode, ResponseCode } from '../codes.js';
import type { ClientInstance } from './client-instance.js';
import { MQClientError, brokerError, errorMessage } from './errors.js';
import { type MessageExt, decodeMessageExts } from './message.js';
import { type MessageQueue, mqKey } from './message-queue.js';
import { MASTER_ID } from './route.js';
import { type SubscriptionData, matchesSubscription } from './subscription.js';

/**
 * PULL_MESSAGE for both consumer kinds (PullAPIWrapper): picks the broker address (the master, or
 * the broker id the previous answer suggested for this queue), sends the request, maps the answer
 * to a PullResult and re-filters the messages by tag string.
 *
 * Pull sysFlag bits: 0x1 COMMIT_OFFSET, 0x2 SUSPEND (long polling), 0x4 SUBSCRIPTION (the request
 * carries the subscription), 0x8 CLASS_FILTER.
 */
export type PullStatus = 'FOUND' | 'NO_NEW_MSG' | 'NO_MATCHED_MSG' | 'OFFSET_ILLEGAL';

export interface PullResult {
  pullStatus: PullStatus;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  msgFoundList: MessageExt[];
}

export const PULL_FLAG_COMMIT_OFFSET = 0x1;
export const PULL_FLAG_SUSPEND = 0x2;
export const PULL_FLAG_SUBSCRIPTION = 0x4;

export interface PullOptions {
  /** Commit this offset with the pull (clustering push consumers; ignored by slaves). */
  commitOffset?: number;
  /** Broker-side wait for a message when none is there (long polling); 0 = answer at once. */
  suspendTimeoutMs: number;
  /** RPC timeout; must exceed suspendTimeoutMs. */
  timeoutMs: number;
  postSubscription: boolean;
}

const STATUS_BY_CODE: ReadonlyMap<number, PullStatus> = new Map([
  [ResponseCode.SUCCESS, 'FOUND'],
  [ResponseCode.PULL_NOT_FOUND, 'NO_NEW_MSG'],
  [ResponseCode.PULL_RETRY_IMMEDIATELY, 'NO_MATCHED_MSG'],
  [ResponseCode.PULL_OFFSET_MOVED, 'OFFSET_ILLEGAL'],
]);

export class PullAPI {
  /** mqKey -> broker id suggested by the last pull answer. */
  private readonly suggested = new Map<string, number>();

  constructor(
    private readonly instance: ClientInstance,
    private readonly group: string,
  ) {}

  async pull(mq: MessageQueue, sub: SubscriptionData, offset: number, maxNums: number, opts: PullOptions): Promise<PullResult> {
    const key = mqKey(mq);
    const { addr, slave } = await this.brokerFor(mq, this.suggested.get(key) ?? MASTER_ID);
    let sysFlag = 0;
    if (opts.commitOffset !== undefined && opts.commitOffset > 0 && !slave) sysFlag |= PULL_FLAG_COMMIT_OFFSET;
    if (opts.suspendTimeoutMs > 0) sysFlag |= PULL_FLAG_SUSPEND;
    if (opts.postSubscription) sysFlag |= PULL_FLAG_SUBSCRIPTION;
    const req = RemotingCommand.createRequest(RequestCode.PULL_MESSAGE, {
      consumerGroup: this.group,
      topic: mq.topic,
      queueId: mq.queueId,
      queueOffset: offset,
      maxMsgNums: maxNums,
      sysFlag,
      commitOffset: opts.commitOffset ?? 0,
      suspendTimeoutMillis: opts.suspendTimeoutMs,
      subscription: sub.subString,
      subVersion: sub.subVersion,
      expressionType: sub.expressionType,
    });
    const res = await this.instance.remoting.invoke(addr, req, opts.timeoutMs);
    const status = STATUS_BY_CODE.get(res.code);
    if (status === undefined) throw brokerError(res, addr, `pull ${mq.topic}:${mq.queueId} at ${offset}`);
    const ext = res.extFields;
    const suggest = Number(ext.suggestWhichBrokerId ?? MASTER_ID);
    if (suggest === MASTER_ID) this.suggested.delete(key);
    else this.suggested.set(key, suggest);
    let msgs: MessageExt[] = [];
    if (status === 'FOUND') {
      msgs = decodeMessageExts(res.body, mq.brokerName, (err) =>
        this.instance.logger.warn('pull %s:%d at %d: a record does not decode, the rest of the batch is skipped: %s', mq.topic, mq.queueId, offset, errorMessage(err)),
      );
      if (sub.tagsSet.length > 0) msgs = msgs.filter((m) => matchesSubscription(sub, m.tags));
    }
    return {
      pullStatus: status,
      nextBeginOffset: Number(ext.nextBeginOffset ?? offset),
      minOffset: Number(ext.minOffset ?? 0),
      maxOffset: Number(ext.maxOffset ?? 0),
      msgFoundList: msgs,
    };
  }

  private async brokerFor(mq: MessageQueue, brokerId: number): Promise<{ addr: string; slave: boolean }> {
    let found = this.instance.findBrokerAddrInSubscribe(mq.brokerName, brokerId, false);
    if (found === undefined) {
      await this.instance.updateTopicRoute(mq.topic);
      found = this.instance.findBrokerAddrInSubscribe(mq.brokerName, brokerId, false);
    }
    if (found === undefined) throw new MQClientError('NO_BROKER', `The broker[${mq.brokerName}] not exist`);
    return found;
  }
}
