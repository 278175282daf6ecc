import { RemotingCommand } from '../remoting-command.js';
import type { RemotingClient } from '../remoting-client.js';
import { RequestCode, ResponseCode } from '../codes.js';
import type { ExtFieldsInput } from '../header-fields.js';
import { parseFastjson } from '../fastjson.js';
import { parsePropertiesText } from '../../store/index.js';
import { MQClientError, brokerError } from './errors.js';

/**
 * Typed calls to a broker (the broker half of MQClientAPIImpl): one method per request code, each
 * checking the response code and parsing the answer. Sends and pulls have their own modules
 * (send-request.ts, pull-api.ts) because they are hot paths with richer results.
 */
export interface TopicConfigInput {
  topicName: string;
  readQueueNums?: number;
  writeQueueNums?: number;
  perm?: number;
  topicFilterType?: 'SINGLE_TAG' | 'MULTI_TAG';
  topicSysFlag?: number;
  order?: boolean;
}

/** SubscriptionGroupConfig as UPDATE_AND_CREATE_SUBSCRIPTIONGROUP's body carries it (all fields: the broker replaces the group's config). */
export interface SubscriptionGroupInput {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
}

export interface SendBackInput {
  /** Commit log offset of the message. */
  offset: number;
  group: string;
  /** 0 = the broker picks 3 + reconsumeTimes; < 0 = straight to the DLQ. */
  delayLevel: number;
  originMsgId: string;
  originTopic: string;
  maxReconsumeTimes: number;
}

export class BrokerAPI {
  constructor(
    private readonly remoting: RemotingClient,
    readonly timeoutMs: number,
  ) {}

  /** One request; a response code outside `accept` becomes an MQClientError carrying it. */
  async call(addr: string, code: number, what: string, ext?: ExtFieldsInput, body?: Buffer, accept: readonly number[] = [ResponseCode.SUCCESS], timeoutMs = this.timeoutMs): Promise<RemotingCommand> {
    const res = await this.remoting.invoke(addr, RemotingCommand.createRequest(code, ext, body), timeoutMs);
    if (!accept.includes(res.code)) throw brokerError(res, addr, what);
    return res;
  }

  async oneway(addr: string, code: number, ext?: ExtFieldsInput, body?: Buffer): Promise<void> {
    await this.remoting.invokeOneway(addr, RemotingCommand.createRequest(code, ext, body));
  }

  private async offsetCall(addr: string, code: number, what: string, ext: ExtFieldsInput, field = 'offset'): Promise<number> {
    const res = await this.call(addr, code, what, ext);
    const v = Number(res.extFields[field]);
    if (!Number.isFinite(v)) throw new MQClientError('BAD_RESPONSE', `${what} at ${addr}: no ${field} in response`, { addr });
    return v;
  }

  getMaxOffset(addr: string, topic: string, queueId: number): Promise<number> {
    return this.offsetCall(addr, RequestCode.GET_MAX_OFFSET, `max offset of ${topic}:${queueId}`, { topic, queueId });
  }

  getMinOffset(addr: string, topic: string, queueId: number): Promise<number> {
    return this.offsetCall(addr, RequestCode.GET_MIN_OFFSET, `min offset of ${topic}:${queueId}`, { topic, queueId });
  }

  searchOffset(addr: string, topic: string, queueId: number, timestamp: number): Promise<number> {
    return this.offsetCall(addr, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, `offset of ${topic}:${queueId} at ${timestamp}`, { topic, queueId, timestamp });
  }

  getEarliestMsgStoretime(addr: string, topic: string, queueId: number): Promise<number> {
    return this.offsetCall(addr, RequestCode.GET_EARLIEST_MSG_STORETIME, `earliest store time of ${topic}:${queueId}`, { topic, queueId }, 'timestamp');
  }

  /** The group's committed offset, or -1 when the broker has none (QUERY_NOT_FOUND). */
  async queryConsumerOffset(addr: string, consumerGroup: string, topic: string, queueId: number): Promise<number> {
    const what = `consumer offset of ${consumerGroup} on ${topic}:${queueId}`;
    const res = await this.call(addr, RequestCode.QUERY_CONSUMER_OFFSET, what, { consumerGroup, topic, queueId }, undefined, [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND]);
    if (res.code === ResponseCode.QUERY_NOT_FOUND) return -1;
    return Number(res.extFields.offset ?? -1);
  }

  async updateConsumerOffset(addr: string, consumerGroup: string, topic: string, queueId: number, commitOffset: number, oneway: boolean): Promise<void> {
    const ext = { consumerGroup, topic, queueId, commitOffset };
    if (oneway) await this.oneway(addr, RequestCode.UPDATE_CONSUMER_OFFSET, ext);
    else await this.call(addr, RequestCode.UPDATE_CONSUMER_OFFSET, `commit offset of ${consumerGroup} on ${topic}:${queueId}`, ext);
  }

  async getConsumerIdList(addr: string, consumerGroup: string): Promise<string[]> {
    const res = await this.call(addr, RequestCode.GET_CONSUMER_LIST_BY_GROUP, `consumers of ${consumerGroup}`, { consumerGroup }, undefined, [ResponseCode.SUCCESS, ResponseCode.SYSTEM_ERROR]);
    // The broker answers SYSTEM_ERROR "no consumer for this group" when nobody heart-beat yet.
    if (res.code !== ResponseCode.SUCCESS) return [];
    const body = this.json(res, addr, 'consumer list') as { consumerIdList?: string[] };
    return [...(body.consumerIdList ?? [])];
  }

  async heartbeat(addr: string, body: Buffer): Promise<void> {
    await this.call(addr, RequestCode.HEART_BEAT, 'heartbeat', undefined, body);
  }

  async unregisterClient(addr: string, clientID: string, producerGroup?: string, consumerGroup?: string): Promise<void> {
    await this.call(addr, RequestCode.UNREGISTER_CLIENT, 'unregister client', { clientID, producerGroup, consumerGroup });
  }

  async sendMessageBack(addr: string, b: SendBackInput): Promise<void> {
    await this.call(addr, RequestCode.CONSUMER_SEND_MSG_BACK, `send back to ${b.group}`, {
      offset: b.offset,
      group: b.group,
      delayLevel: b.delayLevel,
      originMsgId: b.originMsgId,
      originTopic: b.originTopic,
      unitMode: false,
      maxReconsumeTimes: b.maxReconsumeTimes,
    });
  }

  async createTopic(addr: string, t: TopicConfigInput, defaultTopic = 'TBW102'): Promise<void> {
    await this.call(addr, RequestCode.UPDATE_AND_CREATE_TOPIC, `create topic ${t.topicName}`, {
      topic: t.topicName,
      defaultTopic,
      readQueueNums: t.readQueueNums ?? 8,
      writeQueueNums: t.writeQueueNums ?? 8,
      perm: t.perm ?? 6,
      topicFilterType: t.topicFilterType ?? 'SINGLE_TAG',
      topicSysFlag: t.topicSysFlag ?? 0,
      order: t.order ?? false,
    });
  }

  async createSubscriptionGroup(addr: string, g: SubscriptionGroupInput): Promise<void> {
    await this.call(addr, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, `create subscription group ${g.groupName}`, undefined, Buffer.from(JSON.stringify(g)));
  }

  /** The broker's settings in effect (GET_BROKER_CONFIG's properties text), in the broker's order. */
  async brokerConfig(addr: string): Promise<Map<string, string>> {
    const res = await this.call(addr, RequestCode.GET_BROKER_CONFIG, 'broker config');
    return parsePropertiesText(res.body?.toString('utf8') ?? '');
  }

  async deleteSubscriptionGroup(addr: string, groupName: string, cleanOffset = false): Promise<void> {
    await this.call(addr, RequestCode.DELETE_SUBSCRIPTIONGROUP, `delete subscription group ${groupName}`, { groupName, cleanOffset });
  }

  async deleteTopic(addr: string, topic: string): Promise<void> {
    await this.call(addr, RequestCode.DELETE_TOPIC_IN_BROKER, `delete topic ${topic}`, { topic });
  }

  /** DELETE_EXPIRED_COMMITLOG: the broker deletes expired commit log files on its next passes. */
  async deleteExpiredCommitLog(addr: string): Promise<void> {
    await this.call(addr, RequestCode.DELETE_EXPIRED_COMMITLOG, 'delete expired commit log');
  }

  /** GET_BROKER_RUNTIME_INFO: the KVTable's table. */
  async runtimeInfo(addr: string): Promise<Record<string, string>> {
    const res = await this.call(addr, RequestCode.GET_BROKER_RUNTIME_INFO, 'broker runtime info');
    const body = this.json(res, addr, 'broker runtime info') as { table?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(body.table ?? {})) out[k] = String(v);
    return out;
  }

  /** VIEW_MESSAGE_BY_ID: the raw stored record at a commit log offset. */
  async viewMessage(addr: string, offset: number): Promise<Buffer> {
    const res = await this.call(addr, RequestCode.VIEW_MESSAGE_BY_ID, `view message at ${offset}`, { offset });
    return res.body ?? Buffer.alloc(0);
  }

  /** QUERY_MESSAGE over the index: raw records, empty when none (QUERY_NOT_FOUND). */
  async queryMessage(addr: string, topic: string, key: string, maxNum: number, beginTimestamp: number, endTimestamp: number, uniqKey: boolean): Promise<Buffer> {
    const ext: ExtFieldsInput = { topic, key, maxNum, beginTimestamp, endTimestamp };
    if (uniqKey) ext._UNIQUE_KEY_QUERY = 'true';
    const res = await this.call(addr, RequestCode.QUERY_MESSAGE, `query ${topic}#${key}`, ext, undefined, [ResponseCode.SUCCESS, ResponseCode.QUERY_NOT_FOUND], Math.max(this.timeoutMs, 5000));
    return res.code === ResponseCode.SUCCESS && res.body ? res.body : Buffer.alloc(0);
  }

  json(res: RemotingCommand, addr: string, what: string): unknown {
    try {
      return parseFastjson(res.body?.toString('utf8') || '{}');
    } catch (err) {
      throw new MQClientError('BAD_RESPONSE', `${what} from ${addr} does not parse`, { cause: err, addr });
    }
  }
}
