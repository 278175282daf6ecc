import { RemotingCommand } from '../remoting-command.js';
import { RemotingError } from '../remoting-error.js';
import { MQVersion, RequestCode, ResponseCode } from '../codes.js';
import { parseFastjson, stringifyFastjson } from '../fastjson.js';
import { parseJavaLong } from '../java-number.js';
import type { Connection } from '../connection.js';
import type { RemotingServer } from '../remoting-server.js';
import type { RouteTable } from './route-table.js';
import { type KvConfig, NAMESPACE_ORDER_TOPIC_CONFIG } from './kv-config.js';
import { decodeRegisterBrokerBody, registerBodyCrc32, type RegisterBrokerBody } from './register-broker-body.js';
import { encodeClusterInfo, encodeKvTable, encodeTopicList, encodeTopicRouteData } from './route-bodies.js';
import { silentLogger, type Logger } from '../logger.js';
import type { NamesrvConfig } from './namesrv-config.js';
import { NamesrvConfigError, namesrvConfigText, updateNamesrvConfig } from './namesrv-config-update.js';

/** FAQUrl.suggestTodo(APPLY_TOPIC_URL), appended to TOPIC_NOT_EXIST remarks by RocketMQ. */
const APPLY_TOPIC_SUGGESTION = '\nSee http://rocketmq.apache.org/docs/faq/ for further details.';
const WRITE_PERM = 0x2;
/** TopicSysFlag's bits: a unit topic, and a topic with unit subscriptions. */
const FLAG_UNIT = 0x1;
const FLAG_UNIT_SUB = 0x2;

function field(req: RemotingCommand, name: string): string {
  const v = req.extFields[name];
  if (v === undefined) throw new RemotingError('BAD_REQUEST_HEADER', `the custom field <${name}> is null`);
  return v;
}

/**
 * Long.parseLong, not Number(): a brokerId of "1e300" became the bare map key 1e+300 in every
 * cluster-info and route body, which no client could parse any more.
 */
function longField(req: RemotingCommand, name: string, dflt?: number): number {
  const v = req.extFields[name];
  if (v === undefined && dflt !== undefined) return dflt;
  const n = parseJavaLong(field(req, name));
  if (n === undefined) throw new RemotingError('BAD_REQUEST_HEADER', `the custom field <${name}> is not a number: ${v}`);
  return n;
}

/** Java Boolean.parseBoolean. */
function boolField(req: RemotingCommand, name: string): boolean {
  return req.extFields[name]?.toLowerCase() === 'true';
}

export interface NamesrvProcessorDeps {
  routes: RouteTable<Connection>;
  kv: KvConfig;
  /** The running settings (orderMessageEnable is read per request: UPDATE_NAMESRV_CONFIG changes it live). */
  config: NamesrvConfig;
  /** The `-c` file updates are written to; null = memory only. */
  configFile?: string | null;
  logger?: Logger;
  now?: () => number;
}

/** The NameServer's request handlers (DefaultRequestProcessor.java), one method per code. */
export class NamesrvProcessor {
  private readonly routes: RouteTable<Connection>;
  private readonly kv: KvConfig;
  private readonly config: NamesrvConfig;
  private readonly configFile: string | null;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(deps: NamesrvProcessorDeps) {
    this.routes = deps.routes;
    this.kv = deps.kv;
    this.config = deps.config;
    this.configFile = deps.configFile ?? null;
    this.logger = deps.logger ?? silentLogger;
    this.now = deps.now ?? Date.now;
  }

  registerOn(server: RemotingServer): void {
    const table: [number, (req: RemotingCommand, conn: Connection) => RemotingCommand | Promise<RemotingCommand>][] = [
      [RequestCode.PUT_KV_CONFIG, (r) => this.putKvConfig(r)],
      [RequestCode.GET_KV_CONFIG, (r) => this.getKvConfig(r)],
      [RequestCode.GET_NAMESRV_CONFIG, (r) => RemotingCommand.createResponse(r, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(namesrvConfigText(this.config)))],
      [RequestCode.UPDATE_NAMESRV_CONFIG, (r, c) => this.updateConfig(r, c)],
      [RequestCode.DELETE_KV_CONFIG, (r) => this.deleteKvConfig(r)],
      [RequestCode.GET_KVLIST_BY_NAMESPACE, (r) => this.getKvListByNamespace(r)],
      [RequestCode.REGISTER_BROKER, (r, c) => this.registerBroker(r, c)],
      [RequestCode.UNREGISTER_BROKER, (r) => this.unregisterBroker(r)],
      [RequestCode.QUERY_DATA_VERSION, (r) => this.queryDataVersion(r)],
      [RequestCode.GET_ROUTEINFO_BY_TOPIC, (r) => this.getRouteInfoByTopic(r)],
      [RequestCode.GET_BROKER_CLUSTER_INFO, (r) => this.getBrokerClusterInfo(r)],
      [RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (r) => this.getAllTopicList(r)],
      [RequestCode.GET_TOPICS_BY_CLUSTER, (r) => this.getTopicsByCluster(r)],
      [RequestCode.DELETE_TOPIC_IN_NAMESRV, (r) => this.deleteTopic(r)],
      [RequestCode.WIPE_WRITE_PERM_OF_BROKER, (r) => this.wipeWritePermOfBroker(r)],
      [RequestCode.ADD_WRITE_PERM_OF_BROKER, (r, c) => this.addWritePermOfBroker(r, c)],
      [RequestCode.GET_SYSTEM_TOPIC_LIST_FROM_NS, (r) => {
        const { topics, brokerAddr } = this.routes.getSystemTopicList();
        return RemotingCommand.createResponse(r, ResponseCode.SUCCESS, undefined, undefined, encodeTopicList(topics, brokerAddr));
      }],
      [RequestCode.GET_UNIT_TOPIC_LIST, (r) => this.topicsBySysFlag(r, (f) => (f & FLAG_UNIT) !== 0)],
      [RequestCode.GET_HAS_UNIT_SUB_TOPIC_LIST, (r) => this.topicsBySysFlag(r, (f) => (f & FLAG_UNIT_SUB) !== 0)],
      [RequestCode.GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST, (r) => this.topicsBySysFlag(r, (f) => (f & FLAG_UNIT) === 0 && (f & FLAG_UNIT_SUB) !== 0)],
    ];
    for (const [code, handler] of table) server.registerProcessor(code, handler);
  }

  registerBroker(req: RemotingCommand, conn: Connection): RemotingCommand {
    const bodyCrc32 = longField(req, 'bodyCrc32', 0);
    if (bodyCrc32 !== 0 && registerBodyCrc32(req.body) !== bodyCrc32) {
      return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, 'crc32 not match');
    }
    const legacy = req.version < MQVersion.V3_0_11;
    const body: RegisterBrokerBody = req.body === undefined
      ? { dataVersion: { counter: 0, timestamp: 0 }, topicConfigs: [], filterServerList: [] }
      : decodeRegisterBrokerBody(req.body, boolField(req, 'compressed'), legacy);
    const result = this.routes.registerBroker(
      {
        clusterName: field(req, 'clusterName'),
        brokerAddr: field(req, 'brokerAddr'),
        brokerName: field(req, 'brokerName'),
        brokerId: longField(req, 'brokerId'),
        haServerAddr: field(req, 'haServerAddr'),
        dataVersion: body.dataVersion,
        topicConfigs: body.topicConfigs,
        filterServerList: legacy ? undefined : body.filterServerList,
        channel: conn,
      },
      this.now(),
    );
    const orderConf = this.kv.list(NAMESPACE_ORDER_TOPIC_CONFIG);
    return RemotingCommand.createResponse(
      req,
      ResponseCode.SUCCESS,
      undefined,
      { haServerAddr: result.haServerAddr, masterAddr: result.masterAddr },
      orderConf === undefined ? undefined : encodeKvTable(orderConf),
    );
  }

  unregisterBroker(req: RemotingCommand): RemotingCommand {
    this.routes.unregisterBroker(field(req, 'clusterName'), field(req, 'brokerAddr'), field(req, 'brokerName'), longField(req, 'brokerId'));
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
  }

  /** A broker asks whether its topic config must be re-sent; asking counts as a heartbeat when unchanged. */
  queryDataVersion(req: RemotingCommand): RemotingCommand {
    const brokerAddr = field(req, 'brokerAddr');
    let parsed: unknown;
    try {
      parsed = req.body === undefined ? {} : parseFastjson(req.body.toString('utf8'));
    } catch (err) {
      throw new RemotingError('BAD_REQUEST_HEADER', `QUERY_DATA_VERSION body is not a DataVersion: ${(err as Error).message}`, { cause: err });
    }
    // A body of `null` (or any non-object) is no version at all: Java decodes it to null and
    // answers changed=true; reading fields off it here threw a TypeError (found by fuzzing).
    const raw = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    const dataVersion = { counter: Number(raw.counter ?? 0), timestamp: Number(raw.timestamp ?? 0) };
    const changed = this.routes.isBrokerTopicConfigChanged(brokerAddr, dataVersion);
    if (!changed) this.routes.updateBrokerInfoUpdateTimestamp(brokerAddr, this.now());
    const known = this.routes.queryBrokerTopicConfig(brokerAddr);
    const body = known === undefined ? undefined : Buffer.from(stringifyFastjson({ counter: known.counter, timestamp: known.timestamp }));
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { changed }, body);
  }

  getRouteInfoByTopic(req: RemotingCommand): RemotingCommand {
    const topic = field(req, 'topic');
    const route = this.routes.pickupTopicRouteData(topic);
    if (route === undefined) {
      return RemotingCommand.createResponse(
        req,
        ResponseCode.TOPIC_NOT_EXIST,
        `No topic route info in name server for the topic: ${topic}${APPLY_TOPIC_SUGGESTION}`,
      );
    }
    if (this.config.orderMessageEnable) route.orderTopicConf = this.kv.get(NAMESPACE_ORDER_TOPIC_CONFIG, topic);
    // Clients older than 4.9.4 cannot read quoted integer keys back into their maps.
    const standard = req.version >= MQVersion.V4_9_4 || boolField(req, 'acceptStandardJsonOnly');
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeTopicRouteData(route, standard));
  }

  getBrokerClusterInfo(req: RemotingCommand): RemotingCommand {
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeClusterInfo(this.routes.getClusterInfo()));
  }

  getAllTopicList(req: RemotingCommand): RemotingCommand {
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeTopicList(this.routes.getAllTopicList()));
  }

  getTopicsByCluster(req: RemotingCommand): RemotingCommand {
    const topics = this.routes.getTopicsByCluster(field(req, 'cluster'));
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeTopicList(topics));
  }

  deleteTopic(req: RemotingCommand): RemotingCommand {
    this.routes.deleteTopic(field(req, 'topic'), req.extFields.clusterName);
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
  }

  wipeWritePermOfBroker(req: RemotingCommand): RemotingCommand {
    const count = this.routes.wipeWritePermOfBroker(field(req, 'brokerName'), WRITE_PERM);
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { wipeTopicCount: count });
  }

  addWritePermOfBroker(req: RemotingCommand, conn: Connection): RemotingCommand {
    const brokerName = field(req, 'brokerName');
    const count = this.routes.addWritePermOfBroker(brokerName);
    this.logger.info('add write perm of broker[%s], client: %s, %d', brokerName, conn.remoteAddress, count);
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { addTopicCount: count });
  }

  private topicsBySysFlag(req: RemotingCommand, test: (topicSysFlag: number) => boolean): RemotingCommand {
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeTopicList(this.routes.topicsBySysFlag(test)));
  }

  putKvConfig(req: RemotingCommand): RemotingCommand {
    this.kv.put(field(req, 'namespace'), field(req, 'key'), field(req, 'value'));
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
  }

  async updateConfig(req: RemotingCommand, conn: Connection): Promise<RemotingCommand> {
    try {
      const r = await updateNamesrvConfig(this.config, (req.body ?? Buffer.alloc(0)).toString('utf8'), this.configFile);
      this.logger.info('config updated by %s: in effect now: %s; after a restart: %s', conn.remoteAddress, r.live.join(', ') || 'none', r.atRestart.join(', ') || 'none');
      return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
    } catch (e) {
      if (!(e instanceof NamesrvConfigError)) throw e;
      return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, e.message);
    }
  }

  getKvConfig(req: RemotingCommand): RemotingCommand {
    const namespace = field(req, 'namespace');
    const key = field(req, 'key');
    const value = this.kv.get(namespace, key);
    if (value !== undefined) return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { value });
    return RemotingCommand.createResponse(req, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace} Key: ${key}`, {});
  }

  deleteKvConfig(req: RemotingCommand): RemotingCommand {
    this.kv.delete(field(req, 'namespace'), field(req, 'key'));
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
  }

  getKvListByNamespace(req: RemotingCommand): RemotingCommand {
    const namespace = field(req, 'namespace');
    const kv = this.kv.list(namespace);
    if (kv === undefined) {
      return RemotingCommand.createResponse(req, ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${namespace}`);
    }
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeKvTable(kv));
  }
}
