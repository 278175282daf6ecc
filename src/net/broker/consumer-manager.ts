import type { Connection } from '../connection.js';
import type { Logger } from '../logger.js';
import { RemotingCommand } from '../remoting-command.js';
import { RequestCode } from '../codes.js';
import { subscriptionJson, type SubscriptionData } from './subscription-data.js';

/** One consumer client connection of a group (RocketMQ's ClientChannelInfo). */
export interface ClientChannel {
  readonly conn: Connection;
  clientId: string;
  language: string;
  version: number;
  lastUpdate: number;
}

export interface ConsumerGroupInfo {
  readonly groupName: string;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  readonly channels: Map<Connection, ClientChannel>;
  readonly subscriptions: Map<string, SubscriptionData>;
  lastUpdate: number;
}

export interface ConsumerRegistration {
  group: string;
  conn: Connection;
  clientId: string;
  language: string;
  version: number;
  consumeType: string;
  messageModel: string;
  consumeFromWhere: string;
  subscriptions: SubscriptionData[];
  /** The group's notifyConsumerIdsChangedEnable. */
  notify: boolean;
}

/**
 * Consumer groups -> live client channels and their subscriptions (RocketMQ's ConsumerManager).
 * When a group's membership or subscriptions change, every member gets a oneway
 * NOTIFY_CONSUMER_IDS_CHANGED so it rebalances now instead of at its next 20 s tick. Channels whose
 * last heartbeat is older than the expiry are dropped (and closed) by `scanExpired`.
 */
export class ConsumerManager {
  private readonly groups = new Map<string, ConsumerGroupInfo>();

  constructor(private readonly logger: Logger) {}

  /** Heartbeat: returns true when membership or subscriptions changed. */
  register(r: ConsumerRegistration, now = Date.now()): boolean {
    let g = this.groups.get(r.group);
    if (!g) {
      g = {
        groupName: r.group,
        consumeType: r.consumeType,
        messageModel: r.messageModel,
        consumeFromWhere: r.consumeFromWhere,
        channels: new Map(),
        subscriptions: new Map(),
        lastUpdate: now,
      };
      this.groups.set(r.group, g);
    }
    g.consumeType = r.consumeType;
    g.messageModel = r.messageModel;
    g.consumeFromWhere = r.consumeFromWhere;
    g.lastUpdate = now;
    let changed = false;
    const ch = g.channels.get(r.conn);
    if (!ch) {
      g.channels.set(r.conn, { conn: r.conn, clientId: r.clientId, language: r.language, version: r.version, lastUpdate: now });
      changed = true;
    } else {
      if (ch.clientId !== r.clientId) {
        ch.clientId = r.clientId;
        changed = true;
      }
      ch.lastUpdate = now;
    }
    if (this.updateSubscriptions(g, r.subscriptions)) changed = true;
    if (changed && r.notify) this.notifyIdsChanged(g);
    return changed;
  }

  /** UNREGISTER_CLIENT for a consumer group. */
  unregister(group: string, conn: Connection, notify: boolean): boolean {
    const g = this.groups.get(group);
    if (!g || !g.channels.delete(conn)) return false;
    if (g.channels.size === 0) this.groups.delete(group);
    else if (notify) this.notifyIdsChanged(g);
    return true;
  }

  /** A connection closed: drop it from every group and tell the remaining members. */
  connectionClosed(conn: Connection): void {
    for (const g of [...this.groups.values()]) {
      if (!g.channels.delete(conn)) continue;
      this.logger.info(`consumer ${conn.remoteAddress} left group ${g.groupName} (connection closed)`);
      if (g.channels.size === 0) this.groups.delete(g.groupName);
      else this.notifyIdsChanged(g);
    }
  }

  /** Drops channels without a heartbeat for `expiryMs` and closes their connections. */
  scanExpired(expiryMs: number, now = Date.now()): number {
    let dropped = 0;
    for (const g of [...this.groups.values()]) {
      let changed = false;
      for (const [conn, ch] of [...g.channels]) {
        if (now - ch.lastUpdate <= expiryMs) continue;
        this.logger.warn(`consumer channel ${conn.remoteAddress} (${ch.clientId}) of group ${g.groupName} expired: no heartbeat for ${now - ch.lastUpdate} ms`);
        g.channels.delete(conn);
        conn.close('consumer heartbeat expired');
        changed = true;
        dropped++;
      }
      if (g.channels.size === 0) this.groups.delete(g.groupName);
      else if (changed) this.notifyIdsChanged(g);
    }
    return dropped;
  }

  group(group: string): ConsumerGroupInfo | undefined {
    return this.groups.get(group);
  }

  groupNames(): IterableIterator<string> {
    return this.groups.keys();
  }

  subscription(group: string, topic: string): SubscriptionData | undefined {
    return this.groups.get(group)?.subscriptions.get(topic);
  }

  /** Client ids of a group, as GET_CONSUMER_LIST_BY_GROUP answers. */
  clientIds(group: string): string[] {
    const g = this.groups.get(group);
    return g ? [...g.channels.values()].map((c) => c.clientId) : [];
  }

  /** Groups whose members subscribe to a topic. */
  groupsOfTopic(topic: string): string[] {
    return [...this.groups.values()].filter((g) => g.subscriptions.has(topic)).map((g) => g.groupName);
  }

  /** ConsumerConnection JSON body of GET_CONSUMER_CONNECTION_LIST. */
  connectionJson(group: string): Record<string, unknown> | null {
    const g = this.groups.get(group);
    if (!g) return null;
    return {
      connectionSet: [...g.channels.values()].map((c) => ({
        clientAddr: c.conn.remoteAddress,
        clientId: c.clientId,
        language: c.language,
        version: c.version,
      })),
      consumeFromWhere: g.consumeFromWhere,
      consumeType: g.consumeType,
      messageModel: g.messageModel,
      subscriptionTable: Object.fromEntries([...g.subscriptions].map(([t, s]) => [t, subscriptionJson(s)])),
    };
  }

  /** Adds new topics, replaces entries whose subVersion differs, drops topics no longer sent. */
  private updateSubscriptions(g: ConsumerGroupInfo, subs: SubscriptionData[]): boolean {
    let changed = false;
    const seen = new Set<string>();
    for (const s of subs) {
      seen.add(s.topic);
      const old = g.subscriptions.get(s.topic);
      if (!old) {
        g.subscriptions.set(s.topic, s);
        changed = true;
      } else if (s.subVersion > old.subVersion || s.subString !== old.subString) {
        g.subscriptions.set(s.topic, s);
      }
    }
    for (const topic of [...g.subscriptions.keys()]) {
      if (!seen.has(topic)) {
        g.subscriptions.delete(topic);
        changed = true;
      }
    }
    return changed;
  }

  private notifyIdsChanged(g: ConsumerGroupInfo): void {
    for (const conn of g.channels.keys()) {
      if (conn.closed) continue;
      try {
        conn.invokeOneway(RemotingCommand.createRequest(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, { consumerGroup: g.groupName }));
      } catch (e) {
        this.logger.warn(`notify consumer ids changed to ${conn.remoteAddress} failed: ${(e as Error).message}`);
      }
    }
  }
}
