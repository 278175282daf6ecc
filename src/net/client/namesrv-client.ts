import { parsePropertiesText } from '../../store/index.js';
import { RemotingCommand } from '../remoting-command.js';
import type { RemotingClient } from '../remoting-client.js';
import { RemotingError } from '../remoting-error.js';
import { RequestCode, ResponseCode } from '../codes.js';
import type { Logger } from '../logger.js';
import { MQClientError, brokerError } from './errors.js';
import { type ClusterInfo, type TopicRouteData, parseClusterInfo, parseTopicRouteData } from './route.js';
import { parseFastjson } from '../fastjson.js';

/**
 * Calls to the NameServers. Like Java's NettyRemotingClient it sticks to one NameServer (chosen at
 * random, so clients spread) and moves to the next only when that one cannot be reached; an
 * answer, even an error answer, is final. NameServers share nothing, so any one will do.
 */
export class NamesrvClient {
  private readonly addrs: string[];
  private index: number;

  constructor(
    private readonly remoting: RemotingClient,
    addrs: readonly string[],
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.addrs = [...addrs];
    this.index = Math.floor(Math.random() * Math.max(1, this.addrs.length));
  }

  get addresses(): readonly string[] {
    return this.addrs;
  }

  async invoke(cmd: RemotingCommand, timeoutMs = this.timeoutMs): Promise<{ res: RemotingCommand; addr: string }> {
    if (this.addrs.length === 0) throw new MQClientError('NO_NAMESRV', 'no NameServer address configured (namesrvAddr or NAMESRV_ADDR)');
    let lastErr: unknown;
    for (let tried = 0; tried < this.addrs.length; tried++) {
      const addr = this.addrs[this.index % this.addrs.length]!;
      try {
        return { res: await this.remoting.invoke(addr, cmd, timeoutMs), addr };
      } catch (err) {
        if (!(err instanceof RemotingError) || err.code === 'CLIENT_CLOSED') throw err;
        lastErr = err;
        this.logger.warn('NameServer %s unreachable: %s', addr, err.message);
        this.index++;
      }
    }
    throw new MQClientError('NO_NAMESRV', `no NameServer reachable (${this.addrs.join(';')})`, { cause: lastErr });
  }

  /** Sends one request to every NameServer (topic deletion); fails if any fails. */
  async invokeAll(make: () => RemotingCommand, what: string): Promise<void> {
    await Promise.all(
      this.addrs.map(async (addr) => {
        const res = await this.remoting.invoke(addr, make(), this.timeoutMs);
        if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, what);
      }),
    );
  }

  /** Route of a topic, or null when the NameServer does not know it (TOPIC_NOT_EXIST). */
  async getTopicRoute(topic: string): Promise<TopicRouteData | null> {
    const { res, addr } = await this.invoke(RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic }));
    if (res.code === ResponseCode.TOPIC_NOT_EXIST) return null;
    if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, `route of ${topic}`);
    return parseTopicRouteData(res.body);
  }

  async getClusterInfo(): Promise<ClusterInfo> {
    const { res, addr } = await this.invoke(RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO));
    if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, 'cluster info');
    return parseClusterInfo(res.body);
  }

  async getAllTopicList(): Promise<string[]> {
    return (await this.topicList(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, 'topic list')).topics;
  }

  /**
   * A TopicList the NameServer computes: all topics, system topics (cluster and broker names, plus
   * the broker address to ask for the rest), or unit topic lists.
   */
  async topicList(code: number, what: string): Promise<{ topics: string[]; brokerAddr?: string }> {
    const { res, addr } = await this.invoke(RemotingCommand.createRequest(code));
    if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, what);
    return parseTopicList(res.body, `${what} from ${addr}`);
  }

  /** Sets a KV config entry in every NameServer (they share nothing); fails if any fails. */
  async putKvConfig(namespace: string, key: string, value: string): Promise<void> {
    await this.invokeAll(() => RemotingCommand.createRequest(RequestCode.PUT_KV_CONFIG, { namespace, key, value }), `put kv config ${namespace}/${key}`);
  }

  /** Every NameServer's settings (GET_NAMESRV_CONFIG), as key/value pairs in its order, by address. */
  async getNamesrvConfig(): Promise<Map<string, [string, string][]>> {
    const out = new Map<string, [string, string][]>();
    for (const addr of this.addrs) {
      const res = await this.remoting.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_NAMESRV_CONFIG), this.timeoutMs);
      if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, 'get name server config');
      out.set(addr, [...parsePropertiesText(res.body?.toString('utf8') ?? '')]);
    }
    return out;
  }

  /** Changes settings in every NameServer (UPDATE_NAMESRV_CONFIG); fails if any refuses. */
  async updateNamesrvConfig(props: Record<string, string>): Promise<void> {
    const body = Buffer.from(Object.entries(props).map(([k, v]) => `${k}=${v}\n`).join(''), 'utf8');
    await this.invokeAll(() => RemotingCommand.createRequest(RequestCode.UPDATE_NAMESRV_CONFIG, {}, body), 'update name server config');
  }

  /** A KV config entry from the first NameServer that answers; QUERY_NOT_FOUND as an error naming it. */
  async getKvConfig(namespace: string, key: string): Promise<string> {
    const { res, addr } = await this.invoke(RemotingCommand.createRequest(RequestCode.GET_KV_CONFIG, { namespace, key }));
    if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, `get kv config ${namespace}/${key}`);
    return res.extFields.value ?? '';
  }

  /** Removes a KV config entry from every NameServer; fails if any fails. */
  async deleteKvConfig(namespace: string, key: string): Promise<void> {
    await this.invokeAll(() => RemotingCommand.createRequest(RequestCode.DELETE_KV_CONFIG, { namespace, key }), `delete kv config ${namespace}/${key}`);
  }

  /**
   * Takes write permission from every queue of a broker in one NameServer (`wipe`), or gives it
   * back (`add`, RocketMQ 4.9.3+); resolves how many topics it touched.
   */
  async writePermOfBroker(addr: string, brokerName: string, op: 'wipe' | 'add'): Promise<number> {
    const [code, countField] = op === 'wipe' ? [RequestCode.WIPE_WRITE_PERM_OF_BROKER, 'wipeTopicCount'] : [RequestCode.ADD_WRITE_PERM_OF_BROKER, 'addTopicCount'];
    const res = await this.remoting.invoke(addr, RemotingCommand.createRequest(code, { brokerName }), this.timeoutMs);
    if (res.code !== ResponseCode.SUCCESS) throw brokerError(res, addr, `${op} write perm of ${brokerName}`);
    const n = Number(res.extFields[countField]);
    if (!Number.isInteger(n)) throw new MQClientError('BAD_RESPONSE', `${op} write perm of ${brokerName} at ${addr}: no ${countField} in response`);
    return n;
  }

  async deleteTopic(topic: string, clusterName?: string): Promise<void> {
    await this.invokeAll(() => RemotingCommand.createRequest(RequestCode.DELETE_TOPIC_IN_NAMESRV, { topic, clusterName }), `delete topic ${topic} in NameServer`);
  }
}

/** A TopicList body (`{"brokerAddr":…,"topicList":[…]}`), from a NameServer or a broker. */
export function parseTopicList(body: Buffer | undefined, what: string): { topics: string[]; brokerAddr?: string } {
  try {
    const b = parseFastjson(body?.toString('utf8') ?? '{}') as { topicList?: string[]; brokerAddr?: string } | null;
    return { topics: [...(b?.topicList ?? [])], brokerAddr: b?.brokerAddr || undefined };
  } catch (err) {
    throw new MQClientError('BAD_RESPONSE', `${what} does not parse`, { cause: err });
  }
}
