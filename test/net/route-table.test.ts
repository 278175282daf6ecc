import { describe, expect, it } from 'vitest';
import { RouteTable, type BrokerRegistration, type TopicQueueConfig } from '../../src/net/nameserver/route-table.js';

function tc(topicName: string, queues = 4, perm = 6): TopicQueueConfig {
  return { topicName, readQueueNums: queues, writeQueueNums: queues, perm, topicSysFlag: 0 };
}

function reg(over: Partial<BrokerRegistration<string>> = {}): BrokerRegistration<string> {
  return {
    clusterName: 'c1',
    brokerAddr: '10.0.0.1:10911',
    brokerName: 'broker-a',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    dataVersion: { counter: 1, timestamp: 1000 },
    topicConfigs: [tc('T1'), tc('T2', 8)],
    filterServerList: [],
    channel: 'ch-a0',
    ...over,
  };
}

describe('RouteTable registration', () => {
  it('routes a master’s topics with a copy of its broker data', () => {
    const rt = new RouteTable<string>();
    expect(rt.registerBroker(reg(), 1)).toEqual({});
    const route = rt.pickupTopicRouteData('T2')!;
    expect(route.queueDatas).toEqual([{ brokerName: 'broker-a', perm: 6, readQueueNums: 8, topicSysFlag: 0, writeQueueNums: 8 }]);
    expect(route.brokerDatas).toEqual([{ cluster: 'c1', brokerName: 'broker-a', brokerAddrs: new Map([[0, '10.0.0.1:10911']]) }]);
    route.brokerDatas[0]!.brokerAddrs.set(5, 'x');
    expect(rt.pickupTopicRouteData('T2')!.brokerDatas[0]!.brokerAddrs.size).toBe(1);
    expect(rt.pickupTopicRouteData('nope')).toBeUndefined();
    expect(rt.getAllTopicList()).toEqual(['T1', 'T2']);
  });

  it('updates queue data only when the master’s data version changes', () => {
    const rt = new RouteTable<string>();
    rt.registerBroker(reg(), 1);
    rt.registerBroker(reg({ topicConfigs: [tc('T1', 2), tc('T3')] }), 2);
    expect(rt.pickupTopicRouteData('T1')!.queueDatas[0]!.readQueueNums).toBe(4);
    expect(rt.pickupTopicRouteData('T3')).toBeUndefined();
    rt.registerBroker(reg({ dataVersion: { counter: 2, timestamp: 2000 }, topicConfigs: [tc('T1', 2), tc('T3')] }), 3);
    expect(rt.pickupTopicRouteData('T1')!.queueDatas[0]!.readQueueNums).toBe(2);
    expect(rt.pickupTopicRouteData('T3')).toBeDefined();
    expect(rt.pickupTopicRouteData('T2')).toBeDefined();
  });

  it('ignores a slave’s topics and tells it the live master and HA address', () => {
    const rt = new RouteTable<string>();
    const slave = reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911', haServerAddr: '10.0.0.2:10912', channel: 'ch-a1', topicConfigs: [tc('SlaveOnly')] });
    expect(rt.registerBroker(slave, 1)).toEqual({});
    rt.registerBroker(reg(), 2);
    expect(rt.registerBroker(slave, 3)).toEqual({ masterAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912' });
    expect(rt.pickupTopicRouteData('SlaveOnly')).toBeUndefined();
    expect(rt.pickupTopicRouteData('T1')!.brokerDatas[0]!.brokerAddrs).toEqual(new Map([[1, '10.0.0.2:10911'], [0, '10.0.0.1:10911']]));
  });

  it('keeps one id per address when a slave is promoted', () => {
    const rt = new RouteTable<string>();
    rt.registerBroker(reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911' }), 1);
    rt.registerBroker(reg({ brokerId: 0, brokerAddr: '10.0.0.2:10911' }), 2);
    expect(rt.getClusterInfo().brokerAddrTable.get('broker-a')!.brokerAddrs).toEqual(new Map([[0, '10.0.0.2:10911']]));
  });

  it('keeps filter servers per broker address, and an empty list removes them', () => {
    const rt = new RouteTable<string>();
    rt.registerBroker(reg({ filterServerList: ['f:1'] }), 1);
    expect(rt.pickupTopicRouteData('T1')!.filterServerTable).toEqual(new Map([['10.0.0.1:10911', ['f:1']]]));
    rt.registerBroker(reg({ filterServerList: [] }), 2);
    expect(rt.pickupTopicRouteData('T1')!.filterServerTable.size).toBe(0);
  });
});

describe('RouteTable removal', () => {
  function twoBrokers(): RouteTable<string> {
    const rt = new RouteTable<string>();
    rt.registerBroker(reg(), 1);
    rt.registerBroker(reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911', channel: 'ch-a1' }), 1);
    rt.registerBroker(reg({ brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', channel: 'ch-b0', topicConfigs: [tc('T1'), tc('B-only')] }), 1);
    return rt;
  }

  it('unregistering a slave leaves the topics; the last address of a name removes it everywhere', () => {
    const rt = twoBrokers();
    rt.unregisterBroker('c1', '10.0.0.2:10911', 'broker-a', 1);
    expect(rt.pickupTopicRouteData('T2')!.queueDatas).toHaveLength(1);
    rt.unregisterBroker('c1', '10.0.0.1:10911', 'broker-a', 0);
    expect(rt.pickupTopicRouteData('T2')).toBeUndefined();
    expect(rt.pickupTopicRouteData('T1')!.queueDatas.map((q) => q.brokerName)).toEqual(['broker-b']);
    expect([...rt.getClusterInfo().clusterAddrTable.get('c1')!]).toEqual(['broker-b']);
    rt.unregisterBroker('c1', '10.0.0.3:10911', 'broker-b', 0);
    expect(rt.getClusterInfo().clusterAddrTable.size).toBe(0);
    expect(rt.getAllTopicList()).toEqual([]);
  });

  it('removes the broker registered over a destroyed channel', () => {
    const rt = twoBrokers();
    expect(rt.onChannelDestroy('127.0.0.1:55555', 'ch-b0')).toBe('10.0.0.3:10911');
    expect(rt.pickupTopicRouteData('B-only')).toBeUndefined();
    expect(rt.liveBroker('10.0.0.3:10911')).toBeUndefined();
    expect(rt.onChannelDestroy('127.0.0.1:55556', 'unknown-channel')).toBeUndefined();
    expect(rt.liveBrokerCount).toBe(2);
  });

  it('expires brokers not updated within the expiry time, and QUERY_DATA_VERSION-style touches keep them', () => {
    const rt = twoBrokers();
    rt.updateBrokerInfoUpdateTimestamp('10.0.0.3:10911', 900);
    const expired = rt.scanNotActiveBroker(1000, 500);
    expect(expired.map((e) => e.channel).sort()).toEqual(['ch-a0', 'ch-a1']);
    expect(rt.pickupTopicRouteData('T2')).toBeUndefined();
    expect(rt.pickupTopicRouteData('T1')!.brokerDatas.map((b) => b.brokerName)).toEqual(['broker-b']);
    expect(rt.scanNotActiveBroker(1400, 500)).toEqual([]);
    expect(rt.scanNotActiveBroker(1401, 500)).toHaveLength(1);
  });

  it('compares data versions and reports what it holds', () => {
    const rt = twoBrokers();
    expect(rt.isBrokerTopicConfigChanged('10.0.0.1:10911', { counter: 1, timestamp: 1000 })).toBe(false);
    expect(rt.isBrokerTopicConfigChanged('10.0.0.1:10911', { counter: 2, timestamp: 1000 })).toBe(true);
    expect(rt.isBrokerTopicConfigChanged('9.9.9.9:1', { counter: 1, timestamp: 1000 })).toBe(true);
    expect(rt.queryBrokerTopicConfig('10.0.0.1:10911')).toEqual({ counter: 1, timestamp: 1000 });
  });
});

describe('RouteTable topic queries', () => {
  it('lists topics by cluster, deletes topics (optionally per cluster) and wipes write permission', () => {
    const rt = new RouteTable<string>();
    rt.registerBroker(reg(), 1);
    rt.registerBroker(reg({ clusterName: 'c2', brokerName: 'broker-x', brokerAddr: '10.0.1.1:10911', topicConfigs: [tc('T1'), tc('X')] }), 1);
    expect(rt.getTopicsByCluster('c1')).toEqual(['T1', 'T2']);
    expect(rt.getTopicsByCluster('c2')).toEqual(['T1', 'X']);
    expect(rt.getTopicsByCluster('none')).toEqual([]);
    rt.deleteTopic('T1', 'c2');
    expect(rt.pickupTopicRouteData('T1')!.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a']);
    rt.deleteTopic('T1');
    expect(rt.pickupTopicRouteData('T1')).toBeUndefined();
    expect(rt.wipeWritePermOfBroker('broker-a')).toBe(1);
    expect(rt.pickupTopicRouteData('T2')!.queueDatas[0]!.perm).toBe(4);
    // ADD_WRITE_PERM sets RW, as RocketMQ 4.9.3+ does (an inherit bit is not kept).
    rt.registerBroker(reg({ dataVersion: { counter: 2, timestamp: 2000 }, topicConfigs: [tc('T2', 8, 1 | 4)] }), 2);
    expect(rt.addWritePermOfBroker('broker-a')).toBe(1);
    expect(rt.pickupTopicRouteData('T2')!.queueDatas[0]!.perm).toBe(6);
    expect(rt.addWritePermOfBroker('nobody')).toBe(0);
  });

  it('lists cluster and broker names as system topics with an address to ask for the rest, and unit topics by their flags', () => {
    const rt = new RouteTable<string>();
    expect(rt.getSystemTopicList()).toEqual({ topics: [], brokerAddr: undefined });
    const flagged = (topicName: string, topicSysFlag: number) => ({ ...tc(topicName), topicSysFlag });
    rt.registerBroker(reg({ brokerId: 1, brokerAddr: '10.0.0.2:10911', topicConfigs: [] }), 1);
    rt.registerBroker(reg({ topicConfigs: [flagged('Plain', 0), flagged('Unit', 1), flagged('UnitSub', 2), flagged('Both', 3)] }), 1);
    rt.registerBroker(reg({ clusterName: 'c2', brokerName: 'broker-x', brokerAddr: '10.0.1.1:10911', topicConfigs: [] }), 1);
    const sys = rt.getSystemTopicList();
    expect(sys.topics.sort()).toEqual(['broker-a', 'broker-x', 'c1', 'c2']);
    expect(sys.brokerAddr).toBe('10.0.0.1:10911');
    expect(rt.topicsBySysFlag((f) => (f & 1) !== 0)).toEqual(['Unit', 'Both']);
    expect(rt.topicsBySysFlag((f) => (f & 2) !== 0)).toEqual(['UnitSub', 'Both']);
    expect(rt.topicsBySysFlag((f) => (f & 1) === 0 && (f & 2) !== 0)).toEqual(['UnitSub']);
  });
});
