import { join } from 'node:path';
import { stringifyFastjson } from '../fastjson.js';
import type { Logger } from '../logger.js';
import { ConfigFileWriter, entriesOf, readConfigFile } from './config-file.js';
import { DataVersion } from './topic-config.js';
import { groupProblem } from './topic-validator.js';
import { jsonJavaInt, jsonJavaLong } from '../java-number.js';

/** SubscriptionGroupConfig with RocketMQ 4.9 defaults; JSON keys in fastjson's alphabetical order. */
export interface SubscriptionGroupConfig {
  brokerId: number;
  consumeBroadcastEnable: boolean;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  groupName: string;
  notifyConsumerIdsChangedEnable: boolean;
  retryMaxTimes: number;
  retryQueueNums: number;
  whichBrokerWhenConsumeSlowly: number;
}

export function subscriptionGroupConfig(groupName: string, v: Partial<SubscriptionGroupConfig> = {}): SubscriptionGroupConfig {
  return {
    brokerId: v.brokerId ?? 0,
    consumeBroadcastEnable: v.consumeBroadcastEnable ?? true,
    consumeEnable: v.consumeEnable ?? true,
    consumeFromMinEnable: v.consumeFromMinEnable ?? true,
    groupName,
    notifyConsumerIdsChangedEnable: v.notifyConsumerIdsChangedEnable ?? true,
    retryMaxTimes: v.retryMaxTimes ?? 16,
    retryQueueNums: v.retryQueueNums ?? 1,
    whichBrokerWhenConsumeSlowly: v.whichBrokerWhenConsumeSlowly ?? 1,
  };
}

const INT_FIELDS = ['retryQueueNums', 'retryMaxTimes'] as const;
const LONG_FIELDS = ['brokerId', 'whichBrokerWhenConsumeSlowly'] as const;
const BOOL_FIELDS = ['consumeBroadcastEnable', 'consumeEnable', 'consumeFromMinEnable', 'notifyConsumerIdsChangedEnable'] as const;

/** fastjson's boolean coercion: true/false, "true"/"false" (any case), 1/0. */
function jsonBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

/**
 * A group config from JSON (an UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body or subscriptionGroup.json)
 * with each field checked against its Java type: absent fields take the defaults, mistyped ones
 * are listed in `problems` (and take the defaults too). Before, the body was trusted as is: a
 * retryQueueNums of 1e300 made a retry topic with 1e300 queues, whose messages were stored under a
 * queue id the record's int field cannot hold (lost on restart), and "false" (a string) left
 * consumeEnable on.
 */
export function decodeSubscriptionGroup(groupName: string, raw: unknown): { config: SubscriptionGroupConfig; problems: string[] } {
  const o = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const v: Partial<SubscriptionGroupConfig> = {};
  const problems: string[] = [];
  const take = <K extends keyof SubscriptionGroupConfig>(key: K, parse: (x: unknown) => SubscriptionGroupConfig[K] | undefined, type: string): void => {
    const x = o[key];
    if (x === undefined || x === null) return;
    const parsed = parse(x);
    if (parsed === undefined) problems.push(`${key} is not ${type}: ${JSON.stringify(x)}`);
    else v[key] = parsed;
  };
  for (const k of INT_FIELDS) take(k, jsonJavaInt, 'an int');
  for (const k of LONG_FIELDS) take(k, jsonJavaLong, 'a long');
  for (const k of BOOL_FIELDS) take(k, jsonBool, 'a boolean');
  return { config: subscriptionGroupConfig(groupName, v), problems };
}

const BUILT_IN_GROUPS = [
  'TOOLS_CONSUMER',
  'FILTERSRV_CONSUMER',
  'SELF_TEST_C_GROUP',
  'CID_ONS-HTTP-PROXY',
  'CID_ONSAPI_PULL',
  'CID_ONSAPI_PERMISSION',
  'CID_ONSAPI_OWNER',
];

/**
 * Consumer group settings, persisted as `<storePathRootDir>/config/subscriptionGroup.json`. With
 * autoCreateSubscriptionGroup a group is created on first use (heartbeat, pull), as RocketMQ does.
 */
export class SubscriptionGroupManager {
  readonly dataVersion = new DataVersion();
  private readonly table = new Map<string, SubscriptionGroupConfig>();
  readonly file: string;
  private readonly writer: ConfigFileWriter;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly autoCreate: boolean,
    storeRoot: string,
    private readonly logger: Logger,
  ) {
    this.file = join(storeRoot, 'config', 'subscriptionGroup.json');
    this.writer = new ConfigFileWriter(this.file);
    for (const g of BUILT_IN_GROUPS) this.table.set(g, subscriptionGroupConfig(g));
  }

  load(): void {
    const loaded = readConfigFile(this.file, decodeGroupTable);
    if (loaded) this.apply(loaded, 'subscriptionGroup.json');
  }

  /** A slave takes its master's groups (GET_ALL_SUBSCRIPTIONGROUP_CONFIG) when the versions differ. */
  syncFrom(body: unknown): boolean {
    const t = decodeGroupTable(body);
    if (this.dataVersion.equals(t.dataVersion)) return false;
    this.table.clear();
    this.apply(t, 'the master');
    this.lastWrite = this.persist();
    this.lastWrite.catch((e: unknown) => this.logger.error(`writing ${this.file} failed: ${(e as Error).message}`));
    return true;
  }

  private apply(loaded: ReturnType<typeof decodeGroupTable>, from: string): void {
    for (const [name, raw] of loaded.groups) {
      if (groupProblem(name)) {
        this.logger.warn(`${from}: skipping illegal group name ${JSON.stringify(name)}`);
        continue;
      }
      const { config, problems } = decodeSubscriptionGroup(name, raw);
      for (const p of problems) this.logger.warn(`${from}: group ${name}: ${p}; using the default`);
      this.table.set(name, config);
    }
    this.dataVersion.assign(loaded.dataVersion);
  }

  /** The group's config, created with defaults when auto-creation is on; null otherwise. */
  find(group: string): SubscriptionGroupConfig | null {
    const existing = this.table.get(group);
    if (existing) return existing;
    if (!this.autoCreate || groupProblem(group)) return null;
    const sg = subscriptionGroupConfig(group);
    this.upsert(sg);
    this.logger.info(`auto-created subscription group ${group}`);
    return sg;
  }

  get(group: string): SubscriptionGroupConfig | undefined {
    return this.table.get(group);
  }

  upsert(sg: SubscriptionGroupConfig): void {
    this.table.set(sg.groupName, sg);
    this.changed();
  }

  delete(group: string): boolean {
    if (!this.table.delete(group)) return false;
    this.changed();
    return true;
  }

  groups(): IterableIterator<SubscriptionGroupConfig> {
    return this.table.values();
  }

  encode(pretty = false): string {
    return stringifyFastjson(
      { dataVersion: this.dataVersion.toJSON(), subscriptionGroupTable: this.table },
      { pretty },
    );
  }

  /** Writes subscriptionGroup.json off the event loop; resolves once it is on disk. */
  persist(): Promise<void> {
    return this.writer.write(this.encode(true));
  }

  /** Resolves when every change so far is on disk; rejects if the last write failed. */
  persisted(): Promise<void> {
    return this.lastWrite;
  }

  private changed(): void {
    this.dataVersion.next();
    const write = this.persist();
    this.lastWrite = write;
    write.catch((e: unknown) => this.logger.error(`writing ${this.file} failed: ${(e as Error).message}`));
  }
}

function decodeGroupTable(v: unknown): { groups: [string, unknown][]; dataVersion: unknown } {
  const o = (v ?? {}) as Record<string, unknown>;
  return { groups: entriesOf(o.subscriptionGroupTable), dataVersion: o.dataVersion };
}
