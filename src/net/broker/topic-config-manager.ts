import { join } from 'node:path';
import { stringifyFastjson } from '../fastjson.js';
import type { Logger } from '../logger.js';
import { ResponseCode } from '../codes.js';
import type { BrokerConfig } from './broker-config.js';
import { BrokerError } from './broker-error.js';
import { ConfigFileWriter, entriesOf, readConfigFile } from './config-file.js';
import { DataVersion, PERM, isInherited, topicConfig, topicConfigFromJson, topicConfigJson, type TopicConfig } from './topic-config.js';
import { SYSTEM_TOPIC, checkTopic, isSystemTopic, topicProblem } from './topic-validator.js';

/**
 * The broker's topic table, persisted as `<storePathRootDir>/config/topics.json` in RocketMQ's
 * TopicConfigSerializeWrapper form. Built-in topics are added at start (as RocketMQ's
 * TopicConfigManager constructor does), then the file's entries replace them. Every change bumps
 * the data version, is written at once and reported to `onChange` listeners (the NameServer
 * registrar re-registers right away). Single-threaded: callers are event-loop code.
 */
export class TopicConfigManager {
  readonly dataVersion = new DataVersion();
  private readonly table = new Map<string, TopicConfig>();
  private readonly listeners: (() => void)[] = [];
  readonly file: string;
  private readonly writer: ConfigFileWriter;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly cfg: BrokerConfig,
    storeRoot: string,
    private readonly logger: Logger,
  ) {
    this.file = join(storeRoot, 'config', 'topics.json');
    this.writer = new ConfigFileWriter(this.file);
    for (const tc of builtInTopics(cfg)) this.table.set(tc.topicName, tc);
  }

  /**
   * GET_SYSTEM_TOPIC_LIST_FROM_BROKER: RocketMQ's system topic set (TopicValidator's, plus the
   * topics this broker creates for itself: cluster, broker, trace and reply topics).
   */
  systemTopics(): string[] {
    return [...new Set([...Object.values(SYSTEM_TOPIC), ...builtInTopics(this.cfg).map((tc) => tc.topicName)])];
  }

  /** Reads topics.json (or its .bak); throws if both exist and are unreadable. */
  load(): void {
    const loaded = readConfigFile(this.file, decodeWrapper);
    if (loaded) this.apply(loaded, 'topics.json');
  }

  /**
   * A slave takes its master's table (GET_ALL_TOPIC_CONFIG, RocketMQ's SlaveSynchronize) when the
   * data versions differ: the whole table, the master's version, written to topics.json.
   * Returns whether anything changed.
   */
  syncFrom(wrapper: unknown): boolean {
    const w = decodeWrapper(wrapper);
    if (this.dataVersion.equals(w.dataVersion)) return false;
    this.table.clear();
    this.apply(w, 'the master');
    this.lastWrite = this.persist();
    this.lastWrite.catch((e: unknown) => this.logger.error(`writing ${this.file} failed: ${(e as Error).message}`));
    return true;
  }

  private apply(loaded: ReturnType<typeof decodeWrapper>, from: string): void {
    for (const tc of loaded.topics) {
      // A name that could not have been created legally is skipped, never turned into a path.
      if (topicProblem(tc.topicName)) {
        this.logger.warn(`${from}: skipping illegal topic name ${JSON.stringify(tc.topicName)}`);
        continue;
      }
      this.table.set(tc.topicName, tc);
    }
    this.dataVersion.assign(loaded.dataVersion);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  get(topic: string): TopicConfig | undefined {
    return this.table.get(topic);
  }

  topics(): IterableIterator<TopicConfig> {
    return this.table.values();
  }

  get size(): number {
    return this.table.size;
  }

  /** UPDATE_AND_CREATE_TOPIC: validates the name and queue counts, then creates or replaces. */
  upsert(tc: TopicConfig): void {
    checkTopic(tc.topicName);
    if (isSystemTopic(tc.topicName)) {
      throw new BrokerError(ResponseCode.SYSTEM_ERROR, `The topic[${tc.topicName}] is conflict with system topic.`);
    }
    if (tc.topicName === this.cfg.brokerClusterName) {
      throw new BrokerError(ResponseCode.SYSTEM_ERROR, `The topic[${tc.topicName}] is conflict with system reserved words.`);
    }
    for (const [k, n] of [['readQueueNums', tc.readQueueNums], ['writeQueueNums', tc.writeQueueNums]] as const) {
      if (!Number.isInteger(n) || n < 0 || n > 65535) {
        throw new BrokerError(ResponseCode.SYSTEM_ERROR, `${k} ${n} is out of range for topic[${tc.topicName}]`);
      }
    }
    this.put(tc);
  }

  /**
   * A send to an unknown topic: create it from `defaultTopic` when that template topic has the
   * INHERIT bit (TBW102 with autoCreateTopicEnable), with min(requested, template) queues and the
   * template's perm minus INHERIT. Returns null when the topic cannot be auto-created.
   */
  createFromSend(topic: string, defaultTopic: string, clientQueueNums: number, topicSysFlag: number): TopicConfig | null {
    const existing = this.table.get(topic);
    if (existing) return existing;
    checkTopic(topic);
    const template = this.table.get(defaultTopic);
    if (!template) return null;
    let perm = template.perm;
    if (defaultTopic === SYSTEM_TOPIC.AUTO_CREATE_TOPIC_KEY && !this.cfg.autoCreateTopicEnable) {
      perm = PERM.READ | PERM.WRITE;
    }
    if (!isInherited(perm)) return null;
    const queueNums = Math.max(1, Math.min(clientQueueNums > 0 ? clientQueueNums : template.writeQueueNums, template.writeQueueNums));
    const tc = topicConfig(topic, {
      readQueueNums: queueNums,
      writeQueueNums: queueNums,
      perm: perm & ~PERM.INHERIT,
      topicSysFlag,
    });
    this.logger.info(`auto-created topic ${topic} from ${defaultTopic} with ${queueNums} queues`);
    this.put(tc);
    return tc;
  }

  /** Retry / DLQ topics: created with the given queues and perm when absent. */
  ensure(topic: string, queueNums: number, perm: number, topicSysFlag = 0): TopicConfig {
    const existing = this.table.get(topic);
    if (existing) return existing;
    checkTopic(topic);
    const tc = topicConfig(topic, { readQueueNums: queueNums, writeQueueNums: queueNums, perm, topicSysFlag });
    this.put(tc);
    return tc;
  }

  /** Returns whether the topic existed. */
  delete(topic: string): boolean {
    if (!this.table.delete(topic)) return false;
    this.changed();
    return true;
  }

  /** TopicConfigSerializeWrapper: GET_ALL_TOPIC_CONFIG body and the core of REGISTER_BROKER. */
  serializeWrapper(): { dataVersion: unknown; topicConfigTable: Map<string, Record<string, unknown>> } {
    // A Map, as Java's ConcurrentMap: topic names are user-chosen, and `__proto__` is a legal one
    // that a plain object would take as its prototype rather than as a key.
    const topicConfigTable = new Map<string, Record<string, unknown>>();
    for (const [name, tc] of this.table) topicConfigTable.set(name, topicConfigJson(tc));
    return { dataVersion: this.dataVersion.toJSON(), topicConfigTable };
  }

  /** Writes topics.json off the event loop; resolves once it is on disk. */
  persist(): Promise<void> {
    return this.writer.write(stringifyFastjson(this.serializeWrapper(), { pretty: true }));
  }

  /** Resolves when every change so far is on disk; rejects if the last write failed. */
  persisted(): Promise<void> {
    return this.lastWrite;
  }

  private put(tc: TopicConfig): void {
    this.table.set(tc.topicName, tc);
    this.changed();
  }

  private changed(): void {
    this.dataVersion.next();
    const write = this.persist();
    this.lastWrite = write;
    write.catch((e: unknown) => this.logger.error(`writing ${this.file} failed: ${(e as Error).message}`));
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.logger.error(`topic change listener failed: ${(e as Error).message}`);
      }
    }
  }
}

/** A TopicConfigSerializeWrapper (topics.json, GET_ALL_TOPIC_CONFIG) as topics and a data version. */
function decodeWrapper(v: unknown): { topics: TopicConfig[]; dataVersion: unknown } {
  const o = (v ?? {}) as Record<string, unknown>;
  const topics = entriesOf(o.topicConfigTable).map(([name, tc]) => topicConfigFromJson(name, tc));
  return { topics, dataVersion: o.dataVersion };
}

/** The topics RocketMQ 4.9's TopicConfigManager creates at start. */
function builtInTopics(cfg: BrokerConfig): TopicConfig[] {
  const rw = PERM.READ | PERM.WRITE;
  const out: TopicConfig[] = [topicConfig(SYSTEM_TOPIC.SELF_TEST, { readQueueNums: 1, writeQueueNums: 1 })];
  if (cfg.autoCreateTopicEnable) {
    const n = cfg.defaultTopicQueueNums;
    out.push(topicConfig(SYSTEM_TOPIC.AUTO_CREATE_TOPIC_KEY, { readQueueNums: n, writeQueueNums: n, perm: PERM.INHERIT | rw }));
  }
  out.push(topicConfig(SYSTEM_TOPIC.BENCHMARK, { readQueueNums: 1024, writeQueueNums: 1024 }));
  out.push(topicConfig(cfg.brokerClusterName, { perm: PERM.INHERIT | (cfg.clusterTopicEnable ? rw : 0) }));
  if (!topicProblem(cfg.brokerName)) {
    out.push(topicConfig(cfg.brokerName, { readQueueNums: 1, writeQueueNums: 1, perm: PERM.INHERIT | (cfg.brokerTopicEnable ? rw : 0) }));
  }
  out.push(topicConfig(SYSTEM_TOPIC.OFFSET_MOVED_EVENT, { readQueueNums: 1, writeQueueNums: 1 }));
  out.push(topicConfig(SYSTEM_TOPIC.SCHEDULE, { readQueueNums: 18, writeQueueNums: 18 }));
  if (cfg.traceTopicEnable) out.push(topicConfig(cfg.msgTraceTopicName, { readQueueNums: 1, writeQueueNums: 1 }));
  out.push(topicConfig(`${cfg.brokerClusterName}_REPLY_TOPIC`, { readQueueNums: 1, writeQueueNums: 1 }));
  return out;
}
