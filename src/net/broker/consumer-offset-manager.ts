import { join } from 'node:path';
import { stringifyFastjson } from '../fastjson.js';
import { ConfigFileWriter, entriesOf, readConfigFile } from './config-file.js';

/**
 * Committed consumer offsets, keyed `<topic>@<group>` -> queueId -> next offset to consume, as
 * RocketMQ's ConsumerOffsetManager. Persisted to `<storePathRootDir>/config/consumerOffset.json`
 * (`{"offsetTable":{"T@g":{0:5,1:7}}}`, bare integer keys) by the controller every
 * flushConsumerOffsetInterval and at shutdown; writes are skipped when nothing changed.
 */
export class ConsumerOffsetManager {
  private readonly table = new Map<string, Map<number, number>>();
  private version = 0;
  private persistedVersion = -1;
  readonly file: string;
  private readonly writer: ConfigFileWriter;

  constructor(storeRoot: string) {
    this.file = join(storeRoot, 'config', 'consumerOffset.json');
    this.writer = new ConfigFileWriter(this.file);
  }

  load(): void {
    const loaded = readConfigFile(this.file, (v) => entriesOf((v as Record<string, unknown> | null)?.offsetTable));
    if (loaded) this.apply(loaded);
  }

  /** A slave takes its master's offsets (GET_ALL_CONSUMER_OFFSET), over its own (RocketMQ: putAll). */
  syncFrom(body: unknown): void {
    this.apply(entriesOf((body as Record<string, unknown> | null)?.offsetTable));
    this.version++;
  }

  private apply(entries: [string, unknown][]): void {
    for (const [key, queues] of entries) {
      const m = new Map<number, number>();
      for (const [q, off] of entriesOf(queues)) {
        const qid = Number(q);
        const o = Number(off);
        if (Number.isInteger(qid) && Number.isFinite(o)) m.set(qid, o);
      }
      this.table.set(key, m);
    }
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const key = `${topic}@${group}`;
    let m = this.table.get(key);
    if (!m) this.table.set(key, (m = new Map()));
    if (m.get(queueId) === offset) return;
    m.set(queueId, offset);
    this.version++;
  }

  /** The committed offset, or -1 when the group never committed one for this queue. */
  query(group: string, topic: string, queueId: number): number {
    return this.table.get(`${topic}@${group}`)?.get(queueId) ?? -1;
  }

  queueOffsets(group: string, topic: string): ReadonlyMap<number, number> | undefined {
    return this.table.get(`${topic}@${group}`);
  }

  /** Topics a group has offsets for. */
  topicsOfGroup(group: string): string[] {
    const out: string[] = [];
    for (const key of this.table.keys()) {
      const at = key.lastIndexOf('@');
      if (key.slice(at + 1) === group) out.push(key.slice(0, at));
    }
    return out;
  }

  /** Groups that have offsets for a topic. */
  groupsOfTopic(topic: string): string[] {
    const out: string[] = [];
    for (const key of this.table.keys()) {
      const at = key.lastIndexOf('@');
      if (key.slice(0, at) === topic) out.push(key.slice(at + 1));
    }
    return out;
  }

  /** CLONE_GROUP_OFFSET: `dest` takes a copy of `src`'s offsets on a topic (nothing if `src` has none). */
  cloneOffset(src: string, dest: string, topic: string): boolean {
    const from = this.table.get(`${topic}@${src}`);
    if (!from) return false;
    this.table.set(`${topic}@${dest}`, new Map(from));
    this.version++;
    return true;
  }

  /** Drops every offset of a group (a group deleted with cleanOffset). */
  removeGroup(group: string): void {
    for (const key of [...this.table.keys()]) {
      if (key.slice(key.lastIndexOf('@') + 1) === group) {
        this.table.delete(key);
        this.version++;
      }
    }
  }

  removeTopic(topic: string): void {
    for (const key of [...this.table.keys()]) {
      if (key.slice(0, key.lastIndexOf('@')) === topic) {
        this.table.delete(key);
        this.version++;
      }
    }
  }

  /** `{"offsetTable":{...}}`, the GET_ALL_CONSUMER_OFFSET body and the file content. */
  encode(pretty = false): string {
    return stringifyFastjson({ offsetTable: this.table }, { pretty });
  }

  /** Writes the file (off the event loop) if anything changed since the last write. */
  async persist(force = false): Promise<boolean> {
    if (!force && this.version === this.persistedVersion) return false;
    const v = this.version;
    await this.writer.write(this.encode(true));
    this.persistedVersion = Math.max(this.persistedVersion, v);
    return true;
  }
}
