/**
 * The NameServer's routing state, RocketMQ 4.9 RouteInfoManager semantics, as pure data: no
 * sockets, no timers, time passed in. `C` is whatever identifies a broker's connection.
 *
 *   topicQueueTable   topic      -> brokerName -> QueueData
 *   brokerAddrTable   brokerName -> BrokerData { cluster, brokerName, brokerAddrs: brokerId -> addr }
 *   clusterAddrTable  cluster    -> Set<brokerName>
 *   brokerLiveTable   brokerAddr -> { lastUpdateTimestamp, dataVersion, channel, haServerAddr }
 *   filterServerTable brokerAddr -> filter server addresses
 *
 * Only a master (brokerId 0) updates queue data, and only when its topic-config data version
 * changed or it registered for the first time. A brokerName whose last address goes away is
 * removed from its cluster and from every topic (topics left without queues disappear).
 * Not thread-safe; Node runs it on one thread.
 */

export const MASTER_ID = 0;

export interface DataVersion {
  counter: number;
  timestamp: number;
}

export interface QueueData {
  brokerName: string;
  perm: number;
  readQueueNums: number;
  topicSysFlag: number;
  writeQueueNums: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  brokerAddrs: Map<number, string>;
}

/** The parts of a broker's TopicConfig the NameServer keeps. */
export interface TopicQueueConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerRegistration<C> {
  clusterName: string;
  brokerAddr: string;
  brokerName: string;
  brokerId: number;
  haServerAddr: string;
  dataVersion: DataVersion;
  topicConfigs?: Iterable<TopicQueueConfig>;
  /** Undefined leaves the broker's filter servers as they were; empty removes them. */
  filterServerList?: string[];
  channel: C;
}

/** Filled for a slave whose master is live. */
export interface RegisterResult {
  masterAddr?: string;
  haServerAddr?: string;
}

export interface TopicRouteData {
  brokerDatas: BrokerData[];
  filterServerTable: Map<string, string[]>;
  orderTopicConf?: string;
  queueDatas: QueueData[];
}

export interface ClusterInfo {
  brokerAddrTable: ReadonlyMap<string, BrokerData>;
  clusterAddrTable: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface BrokerLiveInfo<C> {
  lastUpdateTimestamp: number;
  dataVersion: DataVersion;
  channel: C;
  haServerAddr: string;
}

export function sameDataVersion(a: DataVersion, b: DataVersion): boolean {
  return a.counter === b.counter && a.timestamp === b.timestamp;
}

function sameQueueData(a: QueueData, b: QueueData): boolean {
  return a.perm === b.perm && a.readQueueNums === b.readQueueNums && a.writeQueueNums === b.writeQueueNums && a.topicSysFlag === b.topicSysFlag;
}

export class RouteTable<C = unknown> {
  private readonly topicQueueTable = new Map<string, Map<string, QueueData>>();
  private readonly brokerAddrTable = new Map<string, BrokerData>();
  private readonly clusterAddrTable = new Map<string, Set<string>>();
  private readonly brokerLiveTable = new Map<string, BrokerLiveInfo<C>>();
  private readonly filterServerTable = new Map<string, string[]>();

  registerBroker(reg: BrokerRegistration<C>, now: number): RegisterResult {
    let names = this.clusterAddrTable.get(reg.clusterName);
    if (names === undefined) this.clusterAddrTable.set(reg.clusterName, (names = new Set()));
    names.add(reg.brokerName);

    let brokerData = this.brokerAddrTable.get(reg.brokerName);
    let registerFirst = false;
    if (brokerData === undefined) {
      registerFirst = true;
      brokerData = { cluster: reg.clusterName, brokerName: reg.brokerName, brokerAddrs: new Map() };
      this.brokerAddrTable.set(reg.brokerName, brokerData);
    }
    // A slave promoted to master keeps its address under a new id: one id per address.
    for (const [id, addr] of brokerData.brokerAddrs) {
      if (addr === reg.brokerAddr && id !== reg.brokerId) brokerData.brokerAddrs.delete(id);
    }
    const oldAddr = brokerData.brokerAddrs.get(reg.brokerId);
    brokerData.brokerAddrs.set(reg.brokerId, reg.brokerAddr);
    registerFirst ||= oldAddr === undefined;

    if (reg.topicConfigs !== undefined && reg.brokerId === MASTER_ID) {
      if (registerFirst || this.isBrokerTopicConfigChanged(reg.brokerAddr, reg.dataVersion)) {
        for (const tc of reg.topicConfigs) this.createAndUpdateQueueData(reg.brokerName, tc);
      }
    }

    this.brokerLiveTable.set(reg.brokerAddr, {
      lastUpdateTimestamp: now,
      dataVersion: { counter: reg.dataVersion.counter, timestamp: reg.dataVersion.timestamp },
      channel: reg.channel,
      haServerAddr: reg.haServerAddr,
    });

    if (reg.filterServerList !== undefined) {
      if (reg.filterServerList.length === 0) this.filterServerTable.delete(reg.brokerAddr);
      else this.filterServerTable.set(reg.brokerAddr, [...reg.filterServerList]);
    }

    const result: RegisterResult = {};
    if (reg.brokerId !== MASTER_ID) {
      const masterAddr = brokerData.brokerAddrs.get(MASTER_ID);
      const masterLive = masterAddr === undefined ? undefined : this.brokerLiveTable.get(masterAddr);
      if (masterLive !== undefined) {
        result.masterAddr = masterAddr;
        result.haServerAddr = masterLive.haServerAddr;
      }
    }
    return result;
  }

  private createAndUpdateQueueData(brokerName: string, tc: TopicQueueConfig): void {
    const qd: QueueData = {
      brokerName,
      perm: tc.perm,
      readQueueNums: tc.readQueueNums,
      topicSysFlag: tc.topicSysFlag,
      writeQueueNums: tc.writeQueueNums,
    };
    let byBroker = this.topicQueueTable.get(tc.topicName);
    if (byBroker === undefined) this.topicQueueTable.set(tc.topicName, (byBroker = new Map()));
    const old = byBroker.get(brokerName);
    if (old === undefined || !sameQueueData(old, qd)) byBroker.set(brokerName, qd);
  }

  isBrokerTopicConfigChanged(brokerAddr: string, dataVersion: DataVersion): boolean {
    const prev = this.queryBrokerTopicConfig(brokerAddr);
    return prev === undefined || !sameDataVersion(prev, dataVersion);
  }

  queryBrokerTopicConfig(brokerAddr: string): DataVersion | undefined {
    return this.brokerLiveTable.get(brokerAddr)?.dataVersion;
  }

  updateBrokerInfoUpdateTimestamp(brokerAddr: string, now: number): void {
    const live = this.brokerLiveTable.get(brokerAddr);
    if (live !== undefined) live.lastUpdateTimestamp = now;
  }

  unregisterBroker(clusterName: string, brokerAddr: string, brokerName: string, brokerId: number): void {
    this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    const brokerData = this.brokerAddrTable.get(brokerName);
    if (brokerData === undefined) return;
    brokerData.brokerAddrs.delete(brokerId);
    if (brokerData.brokerAddrs.size === 0) this.removeBrokerName(brokerName, clusterName);
  }

  /**
   * A connection went away: the broker registered over it (or, if none, the broker whose address
   * is `remoteAddr`) is removed. Returns the broker address removed, if any.
   */
  onChannelDestroy(remoteAddr: string, channel: C | undefined): string | undefined {
    let brokerAddr: string | undefined;
    if (channel !== undefined) {
      for (const [addr, live] of this.brokerLiveTable) {
        if (live.channel === channel) {
          brokerAddr = addr;
          break;
        }
      }
    }
    brokerAddr ??= remoteAddr;
    const wasLive = this.brokerLiveTable.delete(brokerAddr);
    this.filterServerTable.delete(brokerAddr);
    let removedAny = false;
    for (const [brokerName, brokerData] of this.brokerAddrTable) {
      for (const [id, addr] of brokerData.brokerAddrs) {
        if (addr === brokerAddr) {
          brokerData.brokerAddrs.delete(id);
          removedAny = true;
        }
      }
      if (brokerData.brokerAddrs.size === 0) this.removeBrokerName(brokerName, brokerData.cluster);
    }
    return wasLive || removedAny ? brokerAddr : undefined;
  }

  /** Removes brokers not heard from for `expiredMs`; returns them so their connections can be closed. */
  scanNotActiveBroker(now: number, expiredMs: number): { brokerAddr: string; channel: C }[] {
    const expired: { brokerAddr: string; channel: C }[] = [];
    for (const [brokerAddr, live] of this.brokerLiveTable) {
      if (live.lastUpdateTimestamp + expiredMs < now) expired.push({ brokerAddr, channel: live.channel });
    }
    for (const e of expired) this.onChannelDestroy(e.brokerAddr, e.channel);
    return expired;
  }

  private removeBrokerName(brokerName: string, clusterName: string): void {
    this.brokerAddrTable.delete(brokerName);
    const names = this.clusterAddrTable.get(clusterName);
    if (names !== undefined) {
      names.delete(brokerName);
      if (names.size === 0) this.clusterAddrTable.delete(clusterName);
    }
    for (const [topic, byBroker] of this.topicQueueTable) {
      byBroker.delete(brokerName);
      if (byBroker.size === 0) this.topicQueueTable.delete(topic);
    }
  }

  /** Undefined when the topic has no queues or none of its brokers is known (TOPIC_NOT_EXIST). */
  pickupTopicRouteData(topic: string): TopicRouteData | undefined {
    const byBroker = this.topicQueueTable.get(topic);
    if (byBroker === undefined || byBroker.size === 0) return undefined;
    const brokerDatas: BrokerData[] = [];
    const filterServerTable = new Map<string, string[]>();
    for (const brokerName of byBroker.keys()) {
      const bd = this.brokerAddrTable.get(brokerName);
      if (bd === undefined) continue;
      brokerDatas.push({ cluster: bd.cluster, brokerName: bd.brokerName, brokerAddrs: new Map(bd.brokerAddrs) });
      for (const addr of bd.brokerAddrs.values()) {
        const filters = this.filterServerTable.get(addr);
        if (filters !== undefined) filterServerTable.set(addr, [...filters]);
      }
    }
    if (brokerDatas.length === 0) return undefined;
    return { brokerDatas, filterServerTable, queueDatas: [...byBroker.values()].map((q) => ({ ...q })) };
  }

  /** Live views, to be serialized at once. */
  getClusterInfo(): ClusterInfo {
    return { brokerAddrTable: this.brokerAddrTable, clusterAddrTable: this.clusterAddrTable };
  }

  getAllTopicList(): string[] {
    return [...this.topicQueueTable.keys()];
  }

  getTopicsByCluster(cluster: string): string[] {
    const names = this.clusterAddrTable.get(cluster);
    if (names === undefined) return [];
    const topics: string[] = [];
    for (const [topic, byBroker] of this.topicQueueTable) {
      for (const brokerName of byBroker.keys()) {
        if (names.has(brokerName)) {
          topics.push(topic);
          break;
        }
      }
    }
    return topics;
  }

  /** Removes a topic everywhere, or (with `clusterName`) only its queues on that cluster's brokers. */
  deleteTopic(topic: string, clusterName?: string): void {
    if (clusterName === undefined || clusterName === '') {
      this.topicQueueTable.delete(topic);
      return;
    }
    const byBroker = this.topicQueueTable.get(topic);
    const names = this.clusterAddrTable.get(clusterName);
    if (byBroker === undefined || names === undefined) return;
    for (const brokerName of names) byBroker.delete(brokerName);
    if (byBroker.size === 0) this.topicQueueTable.delete(topic);
  }

  /** Clears the write bit of every queue of a brokerName; returns how many topics it touched. */
  wipeWritePermOfBroker(brokerName: string, writePerm = 0x2): number {
    return this.eachQueueOfBroker(brokerName, (qd) => (qd.perm &= ~writePerm));
  }

  /**
   * ADD_WRITE_PERM_OF_BROKER (RocketMQ 4.9.3+): every queue of a brokerName becomes read-write
   * again. As in RouteInfoManager, the perm is set to RW, not OR-ed (an inherit bit goes), and
   * only until the broker next registers a changed data version.
   */
  addWritePermOfBroker(brokerName: string, readWritePerm = 0x6): number {
    return this.eachQueueOfBroker(brokerName, (qd) => (qd.perm = readWritePerm));
  }

  private eachQueueOfBroker(brokerName: string, fn: (qd: QueueData) => void): number {
    let count = 0;
    for (const byBroker of this.topicQueueTable.values()) {
      const qd = byBroker.get(brokerName);
      if (qd !== undefined) {
        fn(qd);
        count++;
      }
    }
    return count;
  }

  /**
   * GET_SYSTEM_TOPIC_LIST_FROM_NS: cluster and broker names (which are topics a broker creates for
   * itself), and one broker address the client then asks for the broker's own system topics: the
   * lowest id of the first broker name, as Java's HashMap order makes it in practice.
   */
  getSystemTopicList(): { topics: string[]; brokerAddr?: string } {
    const topics = new Set<string>();
    for (const [cluster, names] of this.clusterAddrTable) {
      topics.add(cluster);
      for (const n of names) topics.add(n);
    }
    let brokerAddr: string | undefined;
    for (const bd of this.brokerAddrTable.values()) {
      if (bd.brokerAddrs.size === 0) continue;
      brokerAddr = bd.brokerAddrs.get(Math.min(...bd.brokerAddrs.keys()));
      break;
    }
    return { topics: [...topics], brokerAddr };
  }

  /** Topics whose (first) queue data's topicSysFlag passes `test`: the unit topic lists (311-313). */
  topicsBySysFlag(test: (topicSysFlag: number) => boolean): string[] {
    const topics: string[] = [];
    for (const [topic, byBroker] of this.topicQueueTable) {
      const first = byBroker.values().next();
      if (!first.done && test(first.value.topicSysFlag)) topics.push(topic);
    }
    return topics;
  }

  liveBroker(brokerAddr: string): Readonly<BrokerLiveInfo<C>> | undefined {
    return this.brokerLiveTable.get(brokerAddr);
  }

  get liveBrokerCount(): number {
    return this.brokerLiveTable.size;
  }
}
