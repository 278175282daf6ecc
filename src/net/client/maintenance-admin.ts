import { decodeOffsetMsgId } from '../../store/index.js';
import { RequestCode } from '../codes.js';
import type { ClientInstance } from './client-instance.js';
import { MQClientError, illegalArgument } from './errors.js';
import { parseBody } from './lenient-json.js';
import type { MessageQueue } from './message-queue.js';
import { mqKeyedEntries } from './mq-keyed-map.js';
import { retryTopic } from './names.js';
import { parseTopicList } from './namesrv-client.js';
import { type BrokerData, type ClusterInfo, MASTER_ID } from './route.js';

/** One NameServer's answer to a write-perm change: how many topics it touched, or its error. */
export interface WritePermResult {
  namesrvAddr: string;
  topicCount?: number;
  error?: Error;
}

/** A queue's time span (QueueTimeSpan): oldest, newest and last consumed store times, and the lag in time. */
export interface QueueTimeSpan {
  messageQueue: MessageQueue;
  minTimeStamp: number;
  maxTimeStamp: number;
  consumeTimeStamp: number;
  delayTime: number;
}

/** QUERY_CONSUME_QUEUE's answer (QueryConsumeQueueResponseBody). */
export interface ConsumeQueueView {
  maxQueueIndex: number;
  minQueueIndex: number;
  queueData: { physicOffset: number; physicSize: number; tagsCode: number; extendDataJson?: string; bitMap?: string; eval?: boolean; msg?: string }[];
  subscriptionData?: Record<string, unknown>;
  filterData?: string;
  /** Set when the index is outside the queue (the broker answers with a remark and no body). */
  remark?: string;
}

/** A broker's topic or group table, by name, with the table's data version. */
export interface ConfigTable {
  table: Map<string, Record<string, unknown>>;
  dataVersion: unknown;
}

/** A target of cluster-wide maintenance: one broker address, or a cluster (every cluster when neither). */
export interface BrokerTarget {
  brokerAddr?: string;
  clusterName?: string;
}

/**
 * Maintenance calls of DefaultMQAdminExt beyond the everyday ones: write permission in the
 * NameServers, system and unit topic lists, consume queue inspection and cleaning, offset cloning,
 * time spans, consumers' own offsets and resumed transaction halves.
 */
export class MaintenanceAdmin {
  constructor(
    private readonly inst: ClientInstance,
    private readonly timeoutMs: number,
  ) {}

  /** Takes (`wipe`) or gives back (`add`) write permission on a broker's queues in every NameServer. */
  writePermOfBroker(brokerName: string, op: 'wipe' | 'add'): Promise<WritePermResult[]> {
    const ns = this.inst.namesrv;
    return Promise.all(
      ns.addresses.map((namesrvAddr) =>
        ns.writePermOfBroker(namesrvAddr, brokerName, op).then(
          (topicCount) => ({ namesrvAddr, topicCount }),
          (error: Error) => ({ namesrvAddr, error }),
        ),
      ),
    );
  }

  /**
   * RocketMQ's system topics (MQClientAPIImpl.getSystemTopicList): cluster and broker names from a
   * NameServer, with the system topics of the broker it names merged in.
   */
  async systemTopicList(): Promise<string[]> {
    const { topics, brokerAddr } = await this.inst.namesrv.topicList(RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, 'system topic list');
    if (topics.length === 0 || !brokerAddr) return topics;
    const res = await this.inst.api.call(brokerAddr, RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, 'system topic list');
    return [...new Set([...topics, ...parseTopicList(res.body, `system topic list from ${brokerAddr}`).topics])];
  }

  /** The system topics one broker reports (GET_SYSTEM_TOPIC_LIST_FROM_BROKER). */
  async systemTopicsOfBroker(brokerAddr: string): Promise<string[]> {
    const res = await this.inst.api.call(brokerAddr, RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, 'system topic list');
    return parseTopicList(res.body, `system topic list from ${brokerAddr}`).topics;
  }

  /** A broker's topic configs (GET_ALL_TOPIC_CONFIG: TopicConfigSerializeWrapper), by name. */
  allTopicConfig(brokerAddr: string): Promise<ConfigTable> {
    return this.configTable(brokerAddr, RequestCode.GET_ALL_TOPIC_CONFIG, 'topicConfigTable');
  }

  /** A broker's subscription groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG: SubscriptionGroupWrapper), by name. */
  allSubscriptionGroup(brokerAddr: string): Promise<ConfigTable> {
    return this.configTable(brokerAddr, RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, 'subscriptionGroupTable');
  }

  private async configTable(brokerAddr: string, code: number, field: string): Promise<ConfigTable> {
    const res = await this.inst.api.call(brokerAddr, code, field, undefined, undefined, undefined, 10_000);
    const body = parseBody(res.body, brokerAddr) as Record<string, unknown>;
    const v = body[field];
    const entries = v instanceof Map ? [...(v as Map<unknown, unknown>)] : Object.entries((v ?? {}) as Record<string, unknown>);
    const table = new Map(entries.filter(([, b]) => typeof b === 'object' && b !== null).map(([k, b]) => [String(k), b as Record<string, unknown>]));
    return { table, dataVersion: body.dataVersion };
  }

  /** Topics by their unit flags (GET_UNIT_TOPIC_LIST and its two siblings); retry topics only if asked. */
  async unitTopicList(kind: 'unit' | 'hasUnitSub' | 'hasUnitSubUnUnit', containRetry = false): Promise<string[]> {
    const code = { unit: RequestCode.GET_UNIT_TOPIC_LIST, hasUnitSub: RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, hasUnitSubUnUnit: RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST }[kind];
    const { topics } = await this.inst.namesrv.topicList(code, `${kind} topic list`);
    return containRetry ? topics : topics.filter((t) => !t.startsWith('%RETRY%'));
  }

  /** Deletes consume queues that only index expired messages, on one broker or every broker (masters and slaves) of a cluster. */
  cleanExpiredConsumeQueue(target: BrokerTarget): Promise<string[]> {
    return this.onBrokers(target, RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE, 'clean expired consume queues');
  }

  /** Deletes consume queues of topics without a topic config, on one broker or every broker of a cluster. */
  cleanUnusedTopic(target: BrokerTarget): Promise<string[]> {
    return this.onBrokers(target, RequestCode.CLEAN_UNUSED_TOPIC, 'clean unused topics');
  }

  private async onBrokers(target: BrokerTarget, code: number, what: string): Promise<string[]> {
    const addrs = target.brokerAddr ? [target.brokerAddr] : allAddrs(await this.inst.namesrv.getClusterInfo(), target.clusterName);
    for (const addr of addrs) await this.inst.api.call(addr, code, what);
    return addrs;
  }

  async queryConsumeQueue(brokerAddr: string, topic: string, queueId: number, index: number, count: number, consumerGroup?: string): Promise<ConsumeQueueView> {
    const res = await this.inst.api.call(brokerAddr, RequestCode.QUERY_CONSUME_QUEUE, `consume queue ${queueId}@${topic}`, { topic, queueId, index, count, consumerGroup });
    if (!res.body) return { maxQueueIndex: 0, minQueueIndex: 0, queueData: [], remark: res.remark ?? undefined };
    return parseBody(res.body, brokerAddr) as ConsumeQueueView;
  }

  /**
   * Copies a group's committed offsets to another group (DefaultMQAdminExtImpl.cloneGroupOffset):
   * every broker serving the source group's retry topic copies its own offsets.
   */
  async cloneGroupOffset(srcGroup: string, destGroup: string, topic: string, offline: boolean): Promise<string[]> {
    const route = await this.inst.namesrv.getTopicRoute(retryTopic(srcGroup));
    if (!route) throw new MQClientError('NO_ROUTE', `No topic route info in name server for the topic: ${retryTopic(srcGroup)}`);
    const addrs = route.brokerDatas.map(selectBrokerAddr).filter((a): a is string => a !== undefined);
    for (const addr of addrs) {
      await this.inst.api.call(addr, RequestCode.CLONE_GROUP_OFFSET, `clone offsets of ${srcGroup} to ${destGroup}`, { srcGroup, destGroup, topic, offline }, undefined, undefined, this.timeoutMs * 3);
    }
    return addrs;
  }

  /** Sets a group's committed offset of one queue on one broker (MQAdminExt.updateConsumeOffset). */
  updateConsumeOffset(brokerAddr: string, group: string, mq: MessageQueue, offset: number): Promise<void> {
    return this.inst.api.updateConsumerOffset(brokerAddr, group, mq.topic, mq.queueId, offset, false);
  }

  /** Every queue's time span of a topic for a group, from every broker of the topic. */
  async queryConsumeTimeSpan(topic: string, group: string): Promise<QueueTimeSpan[]> {
    const route = await this.inst.namesrv.getTopicRoute(topic);
    if (!route) throw new MQClientError('NO_ROUTE', `No topic route info in name server for the topic: ${topic}`);
    const out: QueueTimeSpan[] = [];
    for (const bd of route.brokerDatas) {
      const addr = selectBrokerAddr(bd);
      if (!addr) continue;
      const res = await this.inst.api.call(addr, RequestCode.QUERY_CONSUME_TIME_SPAN, `consume time span of ${group} on ${topic}`, { topic, group });
      out.push(...((parseBody(res.body, addr) as { consumeTimeSpanSet?: QueueTimeSpan[] }).consumeTimeSpanSet ?? []));
    }
    return out;
  }

  /**
   * The offsets a group's online members hold in memory for a topic, by client id
   * (INVOKE_BROKER_TO_GET_CONSUMER_STATUS through the topic's first broker), or one member's.
   */
  async getConsumeStatus(topic: string, group: string, clientId = ''): Promise<Map<string, [MessageQueue, number][]>> {
    const route = await this.inst.namesrv.getTopicRoute(topic);
    const addr = route?.brokerDatas[0] ? selectBrokerAddr(route.brokerDatas[0]) : undefined;
    const out = new Map<string, [MessageQueue, number][]>();
    if (!addr) return out;
    const res = await this.inst.api.call(addr, RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, `consumer status of ${group}`, { topic, group, clientAddr: clientId });
    const table = (parseBody(res.body, addr) as { consumerTable?: Record<string, unknown> }).consumerTable ?? {};
    for (const [cid, offsets] of Object.entries(table)) out.set(cid, mqKeyedEntries(offsets).map(([mq, v]) => [mq, Number(v)]));
    return out;
  }

  /** Sends a transaction half given up after its check limit back to be checked again, on the broker its id names. */
  async resumeCheckHalfMessage(offsetMsgId: string): Promise<void> {
    let address: string;
    try {
      address = decodeOffsetMsgId(offsetMsgId.trim()).address;
    } catch (err) {
      throw illegalArgument((err as Error).message);
    }
    await this.inst.api.call(address, RequestCode.RESUME_CHECK_HALF_MESSAGE, `resume check of half ${offsetMsgId}`, { msgId: offsetMsgId.trim() });
  }
}

/** BrokerData.selectBrokerAddr: the master, else any address. */
export function selectBrokerAddr(bd: BrokerData): string | undefined {
  return bd.brokerAddrs.get(MASTER_ID) ?? [...bd.brokerAddrs.values()][0];
}

/** Every address (masters and slaves) of a cluster, or of every cluster (ClusterInfo.retrieveAllAddrByCluster). */
function allAddrs(info: ClusterInfo, cluster?: string): string[] {
  const clusters = cluster ? [cluster] : [...info.clusterAddrTable.keys()];
  const out: string[] = [];
  for (const c of clusters) {
    const names = info.clusterAddrTable.get(c);
    if (!names) throw new MQClientError('NO_BROKER', `cluster ${c} not found in the NameServer`);
    for (const n of names) out.push(...(info.brokerAddrTable.get(n)?.brokerAddrs.values() ?? []));
  }
  return out;
}
