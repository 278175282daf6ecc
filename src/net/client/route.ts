import { parseFastjson } from '../fastjson.js';
import { MQClientError } from './errors.js';
import { type MessageQueue, messageQueue } from './message-queue.js';

/**
 * NameServer route bodies (TopicRouteData, ClusterInfo) and what clients derive from them: the
 * writable queues a producer picks from and the readable queues a consumer group divides.
 * Bodies come in fastjson's legacy form (bare integer keys) or standard JSON; both parse.
 */
export const PERM_PRIORITY = 0x8;
export const PERM_READ = 0x4;
export const PERM_WRITE = 0x2;
export const PERM_INHERIT = 0x1;
export const MASTER_ID = 0;

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId -> "ip:port"; id 0 is the master. */
  brokerAddrs: Map<number, string>;
}

export interface TopicRouteData {
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  orderTopicConf?: string;
}

export interface ClusterInfo {
  brokerAddrTable: Map<string, BrokerData>;
  clusterAddrTable: Map<string, string[]>;
}

/** PermName.perm2String: `RWX` with `-` for missing bits. */
export function permToString(perm: number): string {
  return (perm & PERM_READ ? 'R' : '-') + (perm & PERM_WRITE ? 'W' : '-') + (perm & PERM_INHERIT ? 'X' : '-');
}

function parseBody(body: Buffer | undefined, what: string): Record<string, unknown> {
  if (!body || body.length === 0) throw new MQClientError('BAD_RESPONSE', `${what}: empty body`);
  let v: unknown;
  try {
    v = parseFastjson(body.toString('utf8'));
  } catch (err) {
    throw new MQClientError('BAD_RESPONSE', `${what}: body does not parse`, { cause: err });
  }
  if (typeof v !== 'object' || v === null) throw new MQClientError('BAD_RESPONSE', `${what}: body is not an object`);
  return v as Record<string, unknown>;
}

function toBrokerData(raw: Record<string, unknown>): BrokerData {
  const addrs = new Map<number, string>();
  for (const [id, addr] of Object.entries((raw.brokerAddrs ?? {}) as Record<string, string>)) addrs.set(Number(id), addr);
  return { cluster: String(raw.cluster ?? ''), brokerName: String(raw.brokerName ?? ''), brokerAddrs: addrs };
}

export function parseTopicRouteData(body: Buffer | undefined): TopicRouteData {
  const raw = parseBody(body, 'topic route');
  const queueDatas = ((raw.queueDatas ?? []) as Record<string, unknown>[]).map((q) => ({
    brokerName: String(q.brokerName),
    readQueueNums: Number(q.readQueueNums ?? 0),
    writeQueueNums: Number(q.writeQueueNums ?? 0),
    perm: Number(q.perm ?? 0),
    topicSysFlag: Number(q.topicSysFlag ?? q.topicSynFlag ?? 0),
  }));
  const brokerDatas = ((raw.brokerDatas ?? []) as Record<string, unknown>[]).map(toBrokerData);
  const route: TopicRouteData = { queueDatas, brokerDatas };
  if (typeof raw.orderTopicConf === 'string' && raw.orderTopicConf) route.orderTopicConf = raw.orderTopicConf;
  return route;
}

export function parseClusterInfo(body: Buffer | undefined): ClusterInfo {
  const raw = parseBody(body, 'cluster info');
  const brokerAddrTable = new Map<string, BrokerData>();
  for (const [name, bd] of Object.entries((raw.brokerAddrTable ?? {}) as Record<string, Record<string, unknown>>)) {
    brokerAddrTable.set(name, toBrokerData(bd));
  }
  const clusterAddrTable = new Map<string, string[]>();
  for (const [cluster, names] of Object.entries((raw.clusterAddrTable ?? {}) as Record<string, string[]>)) {
    clusterAddrTable.set(cluster, [...names]);
  }
  return { brokerAddrTable, clusterAddrTable };
}

/** Writable queues of brokers that have a live master, brokers in name order (topicRouteData2TopicPublishInfo). */
export function publishQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  if (route.orderTopicConf) {
    for (const item of route.orderTopicConf.split(';')) {
      const [brokerName, nums] = item.split(':');
      for (let i = 0; i < Number(nums); i++) out.push(messageQueue(topic, brokerName!, i));
    }
    return out;
  }
  const qds = [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
  for (const qd of qds) {
    if (!(qd.perm & PERM_WRITE)) continue;
    const bd = route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
    if (!bd || !bd.brokerAddrs.has(MASTER_ID)) continue;
    for (let i = 0; i < qd.writeQueueNums; i++) out.push(messageQueue(topic, qd.brokerName, i));
  }
  return out;
}

/** Readable queues (topicRouteData2TopicSubscribeInfo). */
export function subscribeQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const qd of route.queueDatas) {
    if (!(qd.perm & PERM_READ)) continue;
    for (let i = 0; i < qd.readQueueNums; i++) out.push(messageQueue(topic, qd.brokerName, i));
  }
  return out;
}

/** Master addresses of every broker in a cluster (CommandUtil.fetchMasterAddrByClusterName). */
export function masterAddrsOfCluster(info: ClusterInfo, cluster: string): string[] {
  const names = info.clusterAddrTable.get(cluster);
  if (!names) throw new MQClientError('NO_BROKER', `cluster ${cluster} not found in the NameServer`);
  const out: string[] = [];
  for (const name of names) {
    const addr = info.brokerAddrTable.get(name)?.brokerAddrs.get(MASTER_ID);
    if (addr) out.push(addr);
  }
  return out;
}
