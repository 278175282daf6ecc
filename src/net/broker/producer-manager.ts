import type { Connection } from '../connection.js';
import type { Logger } from '../logger.js';
import type { ClientChannel } from './consumer-manager.js';

/**
 * Producer groups -> live client channels (RocketMQ's ProducerManager), from the producerDataSet
 * of heartbeats. The broker needs them for one thing: a transaction's check-back goes to a live
 * producer of the group that sent the half message. Also what GET_PRODUCER_CONNECTION_LIST lists.
 * Channels leave when their connection closes, on UNREGISTER_CLIENT, or after the heartbeat expiry.
 */
export class ProducerManager {
  private readonly groups = new Map<string, Map<Connection, ClientChannel>>();
  private nextPick = 0;

  constructor(private readonly logger: Logger) {}

  register(group: string, conn: Connection, clientId: string, language: string, version: number, now = Date.now()): void {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new Map()));
    const ch = g.get(conn);
    if (ch) {
      ch.lastUpdate = now;
      return;
    }
    g.set(conn, { conn, clientId, language, version, lastUpdate: now });
    this.logger.info(`producer ${clientId} from ${conn.remoteAddress} joined group ${group}`);
  }

  unregister(group: string, conn: Connection): void {
    const g = this.groups.get(group);
    if (!g?.delete(conn)) return;
    if (g.size === 0) this.groups.delete(group);
  }

  connectionClosed(conn: Connection): void {
    for (const [group, g] of [...this.groups]) {
      if (g.delete(conn) && g.size === 0) this.groups.delete(group);
    }
  }

  /** Drops channels without a heartbeat for `expiryMs` and closes their connections. */
  scanExpired(expiryMs: number, now = Date.now()): number {
    let dropped = 0;
    for (const [group, g] of [...this.groups]) {
      for (const [conn, ch] of [...g]) {
        if (now - ch.lastUpdate <= expiryMs) continue;
        this.logger.warn(`producer channel ${conn.remoteAddress} (${ch.clientId}) of group ${group} expired: no heartbeat for ${now - ch.lastUpdate} ms`);
        g.delete(conn);
        conn.close('producer heartbeat expired');
        dropped++;
      }
      if (g.size === 0) this.groups.delete(group);
    }
    return dropped;
  }

  /** Every group's channels (GET_ALL_PRODUCER_INFO). */
  allGroups(): IterableIterator<[string, ReadonlyMap<Connection, ClientChannel>]> {
    return this.groups.entries();
  }

  /** A producer client's channel by client id, in any group (request-reply pushes the reply there). */
  findChannel(clientId: string): ClientChannel | undefined {
    for (const g of this.groups.values()) {
      for (const ch of g.values()) if (ch.clientId === clientId) return ch;
    }
    return undefined;
  }

  channels(group: string): ClientChannel[] {
    return [...(this.groups.get(group)?.values() ?? [])];
  }

  /** One open channel of the group, taking turns (RocketMQ's getAvailableChannel); null if none. */
  availableChannel(group: string): Connection | null {
    const open = this.channels(group).filter((ch) => !ch.conn.closed);
    if (open.length === 0) return null;
    return open[this.nextPick++ % open.length]!.conn;
  }
}
