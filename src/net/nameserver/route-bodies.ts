import { stringifyFastjson } from '../fastjson.js';
import type { ClusterInfo, QueueData, TopicRouteData } from './route-table.js';

/**
 * NameServer response bodies as RocketMQ 4.9 writes them (fastjson, bean fields alphabetical):
 *
 *   TopicRouteData  {"brokerDatas":[{"brokerAddrs":{0:"ip:port"},"brokerName":"b","cluster":"c"}],
 *                    "filterServerTable":{},"orderTopicConf":"...","queueDatas":[{"brokerName":"b",
 *                    "perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}
 *   ClusterInfo     {"brokerAddrTable":{"b":{BrokerData}},"clusterAddrTable":{"c":["b"]}}
 *   TopicList       {"topicList":["t1","t2"]}            (+ "brokerAddr" when set)
 *   KVTable         {"table":{"k":"v"}}
 *
 * Route data is legacy (bare integer keys) for old clients and standard JSON for 4.9.4+ ones.
 */

function brokerDataJson(bd: { brokerAddrs: Map<number, string>; brokerName: string; cluster: string }) {
  return { brokerAddrs: bd.brokerAddrs, brokerName: bd.brokerName, cluster: bd.cluster };
}

function queueDataJson(q: QueueData) {
  return { brokerName: q.brokerName, perm: q.perm, readQueueNums: q.readQueueNums, topicSysFlag: q.topicSysFlag, writeQueueNums: q.writeQueueNums };
}

export function encodeTopicRouteData(route: TopicRouteData, standard: boolean): Buffer {
  const json = {
    brokerDatas: route.brokerDatas.map(brokerDataJson),
    filterServerTable: route.filterServerTable,
    orderTopicConf: route.orderTopicConf,
    queueDatas: route.queueDatas.map(queueDataJson),
  };
  return Buffer.from(stringifyFastjson(json, { standard }));
}

export function encodeClusterInfo(info: ClusterInfo): Buffer {
  const brokerAddrTable = new Map<string, unknown>();
  for (const [name, bd] of info.brokerAddrTable) brokerAddrTable.set(name, brokerDataJson(bd));
  return Buffer.from(stringifyFastjson({ brokerAddrTable, clusterAddrTable: info.clusterAddrTable }));
}

export function encodeTopicList(topics: Iterable<string>, brokerAddr?: string): Buffer {
  return Buffer.from(stringifyFastjson({ brokerAddr, topicList: [...topics] }));
}

export function encodeKvTable(table: ReadonlyMap<string, string>): Buffer {
  return Buffer.from(stringifyFastjson({ table }));
}
