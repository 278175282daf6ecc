import { decodeOffsetMsgId } from '../../store/index.js';
import { RequestCode } from '../codes.js';
import { consoleLogger, type Logger } from '../logger.js';
import { CLIENT_DEFAULTS, type ClientConfig, buildConfig } from './client-config.js';
import { ClientInstance } from './client-instance.js';
import type { SubscriptionGroupInput, TopicConfigInput } from './broker-api.js';
import { MQClientError, illegalArgument } from './errors.js';
import { parseBody } from './lenient-json.js';
import { AclAdmin } from './acl-admin.js';
import { MaintenanceAdmin, type WritePermResult } from './maintenance-admin.js';
import { decodeRunningInfo, type ConsumerRunningInfo } from './consumer-running-info.js';
import type { RemotingCommand } from '../remoting-command.js';
import type { ConsumeMessageDirectlyResult } from './consume-directly.js';
import { mqKeyedOffsetTable, parseConsumeStatsList } from './mq-keyed-map.js';
import { type MessageExt, decodeMessageExts } from './message.js';
import { type MessageQueue, compareMessageQueue } from './message-queue.js';
import { retryTopic } from './names.js';
import { type ClusterInfo, MASTER_ID, type TopicRouteData, masterAddrsOfCluster } from './route.js';
import { checkGroup, checkTopic } from './validators.js';
import type { TopicOffset, ConsumeProgress, BrokerStatsData, BrokerConsumeStats, ConsumerConnection, RollbackStats } from './admin-types.js';

export type { TopicOffset, ConsumeProgress, BrokerStatsData, BrokerConsumeStats, ConsumerConnection, RollbackStats } from './admin-types.js';

export interface AdminOptions extends Partial<ClientConfig> {
  logger?: Logger;
}

/**
 * Administration (DefaultMQAdminExt): topics, routes, cluster, offsets and message lookups, as
 * mqadmin uses them. Calls go to the NameServer or to the brokers the route names.
 */
export class MQAdmin {
  readonly config: ClientConfig;
  private readonly logger: Logger;
  private instance: ClientInstance | null = null;

  constructor(opts: AdminOptions = {}) {
    const { logger, ...cfg } = opts;
    this.logger = logger ?? consoleLogger('admin', 'warn');
    this.config = buildConfig(CLIENT_DEFAULTS, cfg, (m) => this.logger.warn(m));
  }

  async start(): Promise<void> {
    if (this.instance) return;
    this.instance = ClientInstance.acquire(this.config, this.logger);
  }

  async shutdown(): Promise<void> {
    const inst = this.instance;
    this.instance = null;
    await inst?.release();
  }

  private get inst(): ClientInstance {
    if (!this.instance) throw new MQClientError('NOT_STARTED', 'admin is not started');
    return this.instance;
  }

  /** The ACL administration of brokers with aclEnable (mqadmin updateAclConfig and its siblings). */
  get acl(): AclAdmin {
    return new AclAdmin(this.inst.api);
  }

  /** Maintenance: write perm, system topics, consume queue cleaning and inspection, offset cloning. */
  get maintenance(): MaintenanceAdmin {
    return new MaintenanceAdmin(this.inst, this.config.mqClientApiTimeout);
  }

  examineBrokerClusterInfo(): Promise<ClusterInfo> {
    return this.inst.namesrv.getClusterInfo();
  }

  fetchAllTopicList(): Promise<string[]> {
    return this.inst.namesrv.getAllTopicList();
  }

  async examineTopicRouteInfo(topic: string): Promise<TopicRouteData> {
    const route = await this.inst.updateTopicRoute(topic);
    if (!route) throw new MQClientError('NO_ROUTE', `No topic route info in name server for the topic: ${topic}`);
    return route;
  }

  /** Creates or updates a topic on one broker, or on every master of a cluster; returns the addresses. */
  async createTopic(target: { brokerAddr?: string; clusterName?: string }, cfg: TopicConfigInput): Promise<string[]> {
    checkTopic(cfg.topicName);
    const addrs = await this.targetAddrs(target, 'createTopic');
    for (const addr of addrs) await this.inst.api.createTopic(addr, cfg);
    return addrs;
  }

  /** Creates or replaces a subscription group on one broker, or on every master of a cluster; returns the addresses. */
  async createSubscriptionGroup(target: { brokerAddr?: string; clusterName?: string }, cfg: SubscriptionGroupInput): Promise<string[]> {
    checkGroup(cfg.groupName);
    const addrs = await this.targetAddrs(target, 'createSubscriptionGroup');
    for (const addr of addrs) await this.inst.api.createSubscriptionGroup(addr, cfg);
    return addrs;
  }

  /** Deletes a subscription group from one broker, or from every master of a cluster; returns the addresses. */
  async deleteSubscriptionGroup(target: { brokerAddr?: string; clusterName?: string }, groupName: string, cleanOffset = false): Promise<string[]> {
    checkGroup(groupName);
    const addrs = await this.targetAddrs(target, 'deleteSubscriptionGroup');
    for (const addr of addrs) await this.inst.api.deleteSubscriptionGroup(addr, groupName, cleanOffset);
    return addrs;
  }

  /** Asks one broker, or every master of a cluster, to delete expired commit log files now; returns the addresses. */
  async deleteExpiredCommitLog(target: { brokerAddr?: string; clusterName?: string }): Promise<string[]> {
    let addrs: string[];
    if (target.brokerAddr) addrs = [target.brokerAddr];
    else if (target.clusterName) addrs = masterAddrsOfCluster(await this.examineBrokerClusterInfo(), target.clusterName);
    else addrs = allMasterAddrs(await this.examineBrokerClusterInfo());
    for (const addr of addrs) await this.inst.api.deleteExpiredCommitLog(addr);
    return addrs;
  }

  /** Deletes a topic from every master of a cluster, then from every NameServer. */
  async deleteTopic(topic: string, clusterName: string): Promise<void> {
    for (const addr of masterAddrsOfCluster(await this.examineBrokerClusterInfo(), clusterName)) await this.inst.api.deleteTopic(addr, topic);
    await this.inst.namesrv.deleteTopic(topic, clusterName);
  }

  /** The broker address given, or every master of the cluster named. */
  private async targetAddrs(target: { brokerAddr?: string; clusterName?: string }, what: string): Promise<string[]> {
    if (target.brokerAddr) return [target.brokerAddr];
    if (target.clusterName) return masterAddrsOfCluster(await this.examineBrokerClusterInfo(), target.clusterName);
    throw illegalArgument(`${what} needs a broker address or a cluster name`);
  }

  /**
   * Takes write permission from a broker's queues in every NameServer, so producers stop sending
   * to it (before taking it offline). It lasts until the broker's topic config changes.
   */
  async wipeWritePermOfBroker(brokerName: string): Promise<WritePermResult[]> {
    return this.maintenance.writePermOfBroker(brokerName, 'wipe');
  }

  /** Creates or updates a KV config entry (e.g. ORDER_TOPIC_CONFIG) in every NameServer. */
  putKvConfig(namespace: string, key: string, value: string): Promise<void> {
    return this.inst.namesrv.putKvConfig(namespace, key, value);
  }

  /** Each NameServer's settings, by address (mqadmin getNamesrvConfig). */
  getNamesrvConfig(): Promise<Map<string, [string, string][]>> {
    return this.inst.namesrv.getNamesrvConfig();
  }

  /** Changes settings in every NameServer (mqadmin updateNamesrvConfig). */
  updateNamesrvConfig(props: Record<string, string>): Promise<void> {
    return this.inst.namesrv.updateNamesrvConfig(props);
  }

  getKvConfig(namespace: string, key: string): Promise<string> {
    return this.inst.namesrv.getKvConfig(namespace, key);
  }

  deleteKvConfig(namespace: string, key: string): Promise<void> {
    return this.inst.namesrv.deleteKvConfig(namespace, key);
  }

  /** The clusters whose brokers serve a topic (MQAdminExt.getTopicClusterList), sorted. */
  async topicClusterList(topic: string): Promise<string[]> {
    const route = await this.examineTopicRouteInfo(topic);
    const info = await this.examineBrokerClusterInfo();
    const clusters = new Set<string>();
    for (const bd of route.brokerDatas) for (const [cluster, names] of info.clusterAddrTable) if (names.includes(bd.brokerName)) clusters.add(cluster);
    return [...clusters].sort();
  }

  /** The settings a broker runs with, defaults included (GET_BROKER_CONFIG). */
  brokerConfig(brokerAddr: string): Promise<Map<string, string>> {
    return this.inst.api.brokerConfig(brokerAddr);
  }

  brokerRuntimeInfo(brokerAddr: string): Promise<Record<string, string>> {
    return this.inst.api.runtimeInfo(brokerAddr);
  }

  /** Min/max offset and last store time of every queue of a topic (GET_TOPIC_STATS_INFO per broker). */
  async examineTopicStats(topic: string): Promise<TopicOffset[]> {
    const route = await this.examineTopicRouteInfo(topic);
    const out: TopicOffset[] = [];
    for (const addr of masterAddrs(route)) {
      const res = await this.inst.api.call(addr, RequestCode.GET_TOPIC_STATS_INFO, `topic stats of ${topic}`, { topic });
      for (const [mq, v] of offsetTable(res.body, addr)) {
        out.push({ mq, minOffset: num(v.minOffset), maxOffset: num(v.maxOffset), lastUpdateTimestamp: num(v.lastUpdateTimestamp) });
      }
    }
    return out.sort((a, b) => compareMessageQueue(a.mq, b.mq));
  }

  /**
   * Broker offset vs committed offset of every queue a group consumes (GET_CONSUME_STATS on the
   * brokers serving the group's retry topic, else on every broker of the cluster).
   */
  async examineConsumeStats(group: string, topic?: string): Promise<{ consumeTps: number; offsets: ConsumeProgress[] }> {
    const route = await this.inst.updateTopicRoute(retryTopic(group)).catch(() => null);
    const addrs = route ? masterAddrs(route) : allMasterAddrs(await this.examineBrokerClusterInfo());
    const offsets: ConsumeProgress[] = [];
    let consumeTps = 0;
    for (const addr of addrs) {
      const res = await this.inst.api.call(addr, RequestCode.GET_CONSUME_STATS, `consume stats of ${group}`, { consumerGroup: group, topic });
      consumeTps += num((parseBody(res.body, addr) as { consumeTps?: unknown }).consumeTps);
      for (const [mq, v] of offsetTable(res.body, addr)) {
        offsets.push({ mq, brokerOffset: num(v.brokerOffset), consumerOffset: num(v.consumerOffset), lastTimestamp: num(v.lastTimestamp) });
      }
    }
    return { consumeTps, offsets: offsets.sort((a, b) => compareMessageQueue(a.mq, b.mq)) };
  }

  /**
   * Moves a running consumer group's offsets on a topic to a time (-1: the end of each queue), on
   * every master serving the topic: each broker works the offsets out and tells the group's online
   * consumers, which apply and commit them (MQAdminExt.resetOffsetByTimestamp). Fails with the
   * broker's CONSUMER_NOT_ONLINE when nobody is online: see resetOffsetByTimestampOld for that.
   */
  async resetOffsetByTimestamp(topic: string, group: string, timestamp: number, force: boolean): Promise<[MessageQueue, number][]> {
    checkGroup(group);
    const route = await this.examineTopicRouteInfo(topic);
    const out: [MessageQueue, number][] = [];
    for (const addr of masterAddrs(route)) {
      const res = await this.inst.api.call(addr, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET, `reset offset of ${group} on ${topic}`, { topic, group, timestamp, isForce: force });
      for (const [mq, v] of mqKeyedOffsetTable(res.body, addr)) out.push([mq, Number(v)]);
    }
    return out.sort((a, b) => compareMessageQueue(a[0], b[0]));
  }

  /**
   * Moves a consumer group's committed offsets on a topic to the first message stored at or after
   * `timestamp` (-1: the end of each queue), on every master serving the topic (RocketMQ's
   * resetOffsetByTimestampOld). Without `force`, an offset only ever moves back. For a group with
   * no consumer online: a running consumer keeps its offsets in memory and would commit them over
   * this reset (resetOffsetByTimestamp is the one for it).
   */
  async resetOffsetByTimestampOld(group: string, topic: string, timestamp: number, force: boolean): Promise<RollbackStats[]> {
    checkGroup(group);
    const route = await this.examineTopicRouteInfo(topic);
    const api = this.inst.api;
    const out: RollbackStats[] = [];
    for (const bd of [...route.brokerDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : 1))) {
      const addr = bd.brokerAddrs.get(MASTER_ID);
      const qd = route.queueDatas.find((q) => q.brokerName === bd.brokerName);
      if (!addr || !qd) continue;
      for (let queueId = 0; queueId < qd.readQueueNums; queueId++) {
        const brokerOffset = await api.getMaxOffset(addr, topic, queueId);
        const consumerOffset = Math.max(0, await api.queryConsumerOffset(addr, group, topic, queueId));
        const timestampOffset = timestamp === -1 ? brokerOffset : await api.searchOffset(addr, topic, queueId, timestamp);
        let rollbackOffset = consumerOffset;
        if (force || timestampOffset <= consumerOffset) {
          await api.updateConsumerOffset(addr, group, topic, queueId, timestampOffset, false);
          rollbackOffset = timestampOffset;
        }
        out.push({ brokerName: bd.brokerName, queueId, brokerOffset, consumerOffset, timestampOffset, rollbackOffset });
      }
    }
    return out;
  }

  /** Clients of a consumer group as the first broker that knows them reports them. */
  async examineConsumerConnectionInfo(group: string): Promise<ConsumerConnection> {
    const { res, addr } = await this.groupCall(group, RequestCode.GET_CONSUMER_CONNECTION_LIST, `connections of ${group}`, {});
    return parseBody(res.body, addr) as ConsumerConnection;
  }

  /** What one consumer client reports of itself, relayed by a broker it heartbeats (mqadmin consumerStatus). */
  async consumerRunningInfo(group: string, clientId: string, jstack = false): Promise<ConsumerRunningInfo> {
    const { res, addr } = await this.groupCall(group, RequestCode.GET_CONSUMER_RUNNING_INFO, `running info of ${clientId}`, { clientId, jstackEnable: jstack });
    return decodeRunningInfo(res.body, addr);
  }

  /** A group request to the masters serving the group's retry topic (all masters without a route), first answer wins. */
  private async groupCall(group: string, code: number, what: string, ext: Record<string, string | boolean>): Promise<{ res: RemotingCommand; addr: string }> {
    const route = await this.inst.updateTopicRoute(retryTopic(group)).catch(() => null);
    const addrs = route ? masterAddrs(route) : allMasterAddrs(await this.examineBrokerClusterInfo());
    let lastErr: unknown = new MQClientError('NO_BROKER', `no broker knows consumer group ${group}`);
    for (const addr of addrs) {
      try {
        return { res: await this.inst.api.call(addr, code, what, { consumerGroup: group, ...ext }), addr };
      } catch (err) {
        lastErr = err;
      }
    }
    throw lastErr;
  }

  /** Producers of a group, from every master serving the topic (a producer heartbeats all of them). */
  async examineProducerConnectionInfo(group: string, topic: string): Promise<ConsumerConnection['connectionSet']> {
    const route = await this.inst.updateTopicRoute(topic);
    if (!route) throw new MQClientError('NO_ROUTE', `no route info of topic ${topic}`);
    const seen = new Map<string, ConsumerConnection['connectionSet'][number]>();
    let lastErr: unknown = new MQClientError('NO_BROKER', `no broker serves topic ${topic}`);
    for (const addr of masterAddrs(route)) {
      try {
        const res = await this.inst.api.call(addr, RequestCode.GET_PRODUCER_CONNECTION_LIST, `producers of ${group}`, { producerGroup: group });
        for (const c of (parseBody(res.body, addr) as Pick<ConsumerConnection, 'connectionSet'>).connectionSet ?? []) seen.set(`${c.clientId}@${c.clientAddr}`, c);
      } catch (err) {
        lastErr = err;
      }
    }
    if (seen.size === 0) throw lastErr;
    return [...seen.values()];
  }

  /** Changes settings of a running broker (UPDATE_BROKER_CONFIG); it writes them to its config file. */
  async updateBrokerConfig(brokerAddr: string, props: Record<string, string>): Promise<void> {
    const body = Buffer.from(Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''), 'utf8');
    await this.inst.api.call(brokerAddr, RequestCode.UPDATE_BROKER_CONFIG, `update config of ${brokerAddr}`, {}, body);
  }

  /** Consumer groups of a topic as one broker knows them: online subscribers and groups with offsets. */
  async queryTopicConsumeByWho(topic: string): Promise<string[]> {
    const route = await this.examineTopicRouteInfo(topic);
    const groups = new Set<string>();
    for (const addr of masterAddrs(route)) {
      const res = await this.inst.api.call(addr, RequestCode.QUERY_TOPIC_CONSUME_BY_WHO, `groups of ${topic}`, { topic });
      for (const g of (parseBody(res.body, addr) as { groupList?: unknown[] }).groupList ?? []) if (typeof g === 'string') groups.add(g);
    }
    return [...groups];
  }

  /** A broker's counters for one stats item (VIEW_BROKER_STATS_DATA): TOPIC_PUT_NUMS by topic, GROUP_GET_NUMS by topic@group, ... */
  async viewBrokerStatsData(brokerAddr: string, statsName: string, statsKey: string): Promise<BrokerStatsData> {
    const res = await this.inst.api.call(brokerAddr, RequestCode.VIEW_BROKER_STATS_DATA, `stats ${statsName} ${statsKey}`, { statsName, statsKey });
    const o = parseBody(res.body, brokerAddr) as Record<string, Record<string, unknown> | undefined>;
    const w = (x: Record<string, unknown> | undefined) => ({ sum: num(x?.sum), tps: num(x?.tps), avgpt: num(x?.avgpt) });
    return { statsMinute: w(o.statsMinute), statsHour: w(o.statsHour), statsDay: w(o.statsDay) };
  }

  /** The message an offsetMsgId names, fetched from the broker address encoded in the id. */
  async viewMessage(offsetMsgId: string): Promise<MessageExt> {
    let id: { address: string; offset: number };
    try {
      id = decodeOffsetMsgId(offsetMsgId.trim());
    } catch (err) {
      throw new MQClientError('ILLEGAL_ARGUMENT', (err as Error).message, { cause: err });
    }
    const body = await this.inst.api.viewMessage(id.address, id.offset);
    const msg = decodeMessageExts(body, this.brokerNameOf(id.address))[0];
    if (!msg) throw new MQClientError('BAD_RESPONSE', `no message at ${offsetMsgId}`);
    return msg;
  }

  /** Every group's consumption on one broker (GET_BROKER_CONSUME_STATS: mqadmin brokerConsumeStats). */
  async fetchConsumeStatsInBroker(brokerAddr: string, isOrder: boolean, timeoutMs = this.config.mqClientApiTimeout): Promise<BrokerConsumeStats> {
    const res = await this.inst.api.call(brokerAddr, RequestCode.GET_BROKER_CONSUME_STATS, `consume stats of ${brokerAddr}`, { isOrder }, undefined, undefined, timeoutMs);
    return parseConsumeStatsList(res.body, brokerAddr);
  }

  /**
   * Has one consumer client run its listener on a stored message (MQAdminExt.consumeMessageDirectly):
   * the message's broker relays CONSUME_MESSAGE_DIRECTLY to the client and returns its outcome.
   */
  async consumeMessageDirectly(group: string, clientId: string, offsetMsgId: string): Promise<ConsumeMessageDirectlyResult> {
    const { address } = decodeOffsetMsgId(offsetMsgId.trim());
    const res = await this.inst.api.call(address, RequestCode.CONSUME_MESSAGE_DIRECTLY, `consume ${offsetMsgId} on ${clientId}`, { consumerGroup: group, clientId, msgId: offsetMsgId.trim() }, undefined, undefined, this.config.mqClientApiTimeout * 3);
    return parseBody(res.body, address) as ConsumeMessageDirectlyResult;
  }

  /** Messages of a topic whose KEYS (or, with uniqKey, UNIQ_KEY) contain `key`, from every broker. */
  async queryMessage(topic: string, key: string, maxNum = 64, begin = 0, end = Number.MAX_SAFE_INTEGER, uniqKey = false): Promise<MessageExt[]> {
    const route = await this.examineTopicRouteInfo(topic);
    const out: MessageExt[] = [];
    for (const bd of route.brokerDatas) {
      const addr = bd.brokerAddrs.get(MASTER_ID) ?? [...bd.brokerAddrs.values()][0];
      if (!addr) continue;
      const body = await this.inst.api.queryMessage(addr, topic, key, maxNum, begin, end, uniqKey);
      for (const m of decodeMessageExts(body, bd.brokerName)) {
        // The index is a hash table: drop collisions.
        const hit = uniqKey ? m.msgId === key : (m.keys ?? '').split(' ').includes(key);
        if (hit && m.topic === topic) out.push(m);
      }
    }
    return out;
  }

  private brokerNameOf(addr: string): string {
    return this.inst.brokerNameOf(addr) ?? '';
  }
}

function masterAddrs(route: TopicRouteData): string[] {
  return route.brokerDatas.map((bd) => bd.brokerAddrs.get(MASTER_ID)).filter((a): a is string => a !== undefined);
}

function allMasterAddrs(info: ClusterInfo): string[] {
  return [...info.brokerAddrTable.values()].map((bd) => bd.brokerAddrs.get(MASTER_ID)).filter((a): a is string => a !== undefined);
}

function num(v: unknown): number {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
}


/** `offsetTable` of TopicStatsTable / ConsumeStats: MessageQueue-keyed map -> entries. */
function offsetTable(body: Buffer | undefined, addr: string): [MessageQueue, Record<string, unknown>][] {
  return mqKeyedOffsetTable(body, addr).filter((e): e is [MessageQueue, Record<string, unknown>] => typeof e[1] === 'object' && e[1] !== null);
}
