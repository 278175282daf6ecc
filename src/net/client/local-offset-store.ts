import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { replaceFileSync } from '../../store/replace-file.js';
import type { Logger } from '../logger.js';
import { MQClientError } from './errors.js';
import { parseBody } from './lenient-json.js';
import { type MessageQueue, mqKey } from './message-queue.js';
import { mqKeyedEntries, mqKeyedJson } from './mq-keyed-map.js';
import { RemoteOffsetStore, type OffsetStore, type ReadOffsetType } from './offset-store.js';
import type { ClientInstance } from './client-instance.js';
import type { ConsumerConfig } from './client-config.js';
import { makeDirs } from '../../store/make-dirs.js';

/** A push consumer's offset store: the broker's for clustering, a local file (read now) for broadcasting. */
export function offsetStoreFor(inst: ClientInstance, cfg: ConsumerConfig, logger: Logger): OffsetStore {
  if (cfg.messageModel !== 'BROADCASTING') return new RemoteOffsetStore(inst, cfg.consumerGroup, logger);
  const local = new LocalFileOffsetStore(cfg.localOffsetStoreDir || defaultLocalOffsetStoreDir(), inst.clientId, cfg.consumerGroup, logger);
  local.load();
  return local;
}

/** Java's default for the system property rocketmq.client.localOffsetStoreDir. */
export function defaultLocalOffsetStoreDir(): string {
  return join(homedir(), '.rocketmq_offsets');
}

/**
 * A broadcasting consumer's offsets (LocalFileOffsetStore): every member consumes every queue,
 * so each keeps its own progress, in `<dir>/<clientId>/<group>/offsets.json`, in RocketMQ's
 * format (`{"offsetTable":{{"brokerName":…,"queueId":…,"topic":…}:offset}}`), so a Java client
 * with the same client id and directory resumes where this one stopped, and the other way round.
 * Written whole on every persist, through a synced temporary file and a rename: a crash leaves the
 * old file or the new one.
 */
export class LocalFileOffsetStore implements OffsetStore {
  readonly path: string;
  private readonly table = new Map<string, { mq: MessageQueue; offset: number }>();

  constructor(dir: string, clientId: string, group: string, private readonly logger: Logger) {
    this.path = join(dir, clientId, group, 'offsets.json');
  }

  /** Offsets in the file (none when it does not exist); a file that does not parse is an error naming it. */
  private readFile(): Map<string, { mq: MessageQueue; offset: number }> {
    let text: Buffer;
    try {
      text = readFileSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw e;
    }
    const out = new Map<string, { mq: MessageQueue; offset: number }>();
    try {
      for (const [mq, v] of mqKeyedEntries((parseBody(text, this.path) as { offsetTable?: unknown }).offsetTable)) {
        const offset = Number(v);
        if (Number.isSafeInteger(offset) && offset >= 0) out.set(mqKey(mq), { mq, offset });
      }
    } catch (e) {
      throw new MQClientError('BAD_RESPONSE', `local offset file ${this.path} does not parse: ${(e as Error).message}`, { cause: e });
    }
    return out;
  }

  /** Reads the file into memory (at start). */
  load(): void {
    for (const [k, e] of this.readFile()) this.table.set(k, e);
  }

  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void {
    const e = this.table.get(mqKey(mq));
    if (e === undefined) this.table.set(mqKey(mq), { mq, offset });
    else if (!increaseOnly || offset > e.offset) e.offset = offset;
  }

  async readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    const key = mqKey(mq);
    if (type !== 'READ_FROM_STORE') {
      const e = this.table.get(key);
      if (e !== undefined || type === 'READ_FROM_MEMORY') return e?.offset ?? -1;
    }
    const stored = this.readFile().get(key);
    if (stored === undefined) return -1;
    this.updateOffset(mq, stored.offset, false);
    return stored.offset;
  }

  offsetTable(topic: string): [MessageQueue, number][] {
    return [...this.table.values()].filter((e) => !topic || e.mq.topic === topic).map((e) => [e.mq, e.offset]);
  }

  memoryOffset(mq: MessageQueue): number {
    return this.table.get(mqKey(mq))?.offset ?? -1;
  }

  removeOffset(mq: MessageQueue): void {
    this.table.delete(mqKey(mq));
  }

  async persist(): Promise<void> {
    this.write();
  }

  /** Writes every queue's offset (a broadcasting member keeps all its queues; none is forgotten). */
  async persistAll(): Promise<void> {
    this.write();
  }

  private write(): void {
    if (this.table.size === 0) return;
    try {
      makeDirs(dirname(this.path));
      replaceFileSync(this.path, `{"offsetTable":${mqKeyedJson([...this.table.values()].map(({ mq, offset }) => [mq, offset] as const))}}`);
    } catch (e) {
      this.logger.warn('persisting local offsets to %s failed: %s', this.path, (e as Error).message);
    }
  }
}
