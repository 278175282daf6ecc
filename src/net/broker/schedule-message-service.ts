import { join } from 'node:path';
import { PROPERTY, decodeMessage, type MessageInput, type MessageStore, type StoredMessage } from '../../store/index.js';
import { stringifyFastjson } from '../fastjson.js';
import type { Logger } from '../logger.js';
import { ConfigFileWriter, entriesOf, readConfigFile } from './config-file.js';
import { encodeJavaOrder } from './properties-order.js';
import { inputFromStored } from './stored-to-input.js';
import { SYSTEM_TOPIC } from './topic-validator.js';

const SCHEDULE_GROUP = 'SCHEDULE_TOPIC_XXXX_CONSUMER';
const POLL_MS = 100;
const RETRY_AFTER_ERROR_MS = 1000;
const BATCH = 32;

/**
 * Delayed delivery (RocketMQ's ScheduleMessageService). A message with property DELAY=<level> is
 * stored in SCHEDULE_TOPIC_XXXX queue level-1 with REAL_TOPIC/REAL_QID remembering its target;
 * every 100 ms each level's queue is read from its delay offset and the messages whose time has
 * come (store time + level delay) are re-put to their real topic with DELAY removed. Per-level
 * offsets persist in `config/delayOffset.json` (`{"offsetTable":{1:13}}`, keys = levels).
 */
export class ScheduleMessageService {
  private readonly offsets = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pausedUntil = 0;
  private stopped = false;
  readonly file: string;
  private readonly writer: ConfigFileWriter;

  constructor(
    private readonly store: MessageStore,
    /** Delay in ms per level; index 0 = level 1. */
    readonly levels: readonly number[],
    storeRoot: string,
    private readonly logger: Logger,
  ) {
    this.file = join(storeRoot, 'config', 'delayOffset.json');
    this.writer = new ConfigFileWriter(this.file);
  }

  get maxLevel(): number {
    return this.levels.length;
  }

  load(): void {
    this.apply(readConfigFile(this.file, (v) => entriesOf((v as Record<string, unknown> | null)?.offsetTable)) ?? []);
  }

  /** A slave takes its master's delay offsets (GET_ALL_DELAY_OFFSET) and writes delayOffset.json. */
  syncFrom(body: unknown): Promise<void> {
    this.apply(entriesOf((body as Record<string, unknown> | null)?.offsetTable));
    return this.persist();
  }

  private apply(entries: [string, unknown][]): void {
    for (const [level, off] of entries) {
      const l = Number(level);
      if (Number.isInteger(l) && l >= 1 && Number.isFinite(Number(off))) this.offsets.set(l, Number(off));
    }
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => this.tick(), POLL_MS);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.persist();
  }

  /** `{"offsetTable":{level:offset}}` (GET_ALL_DELAY_OFFSET body and file content). */
  encode(pretty = false): string {
    return stringifyFastjson({ offsetTable: this.offsets }, { pretty });
  }

  /** Writes delayOffset.json off the event loop when the offsets changed since the last write. */
  persist(): Promise<void> {
    return this.writer.write(this.encode(true));
  }

  /**
   * Rewrites a message with a delay level into the schedule topic (what RocketMQ's CommitLog does
   * on put). `props` are the message's properties, in insertion order; level is clamped to max.
   */
  divert(msg: MessageInput, props: Map<string, string>, level: number): MessageInput {
    const l = Math.min(level, this.maxLevel);
    props.set(PROPERTY.DELAY, String(l));
    props.set(PROPERTY.REAL_TOPIC, msg.topic);
    props.set(PROPERTY.REAL_QID, String(msg.queueId));
    return {
      ...msg,
      topic: SYSTEM_TOPIC.SCHEDULE,
      queueId: l - 1,
      properties: encodeJavaOrder(props),
      // The store makes the schedule queue's tag code the delivery time (store time + delay), as
      // RocketMQ computes it on dispatch.
      tagsCode: undefined,
    };
  }

  private tick(): void {
    if (this.running || this.stopped || Date.now() < this.pausedUntil) return;
    this.running = this.deliverDue()
      .catch((e: unknown) => {
        this.logger.error(`schedule delivery failed, retrying in ${RETRY_AFTER_ERROR_MS} ms: ${(e as Error)?.stack ?? e}`);
        this.pausedUntil = Date.now() + RETRY_AFTER_ERROR_MS;
      })
      .finally(() => {
        this.running = null;
      });
  }

  private async deliverDue(): Promise<void> {
    for (let level = 1; level <= this.maxLevel && !this.stopped; level++) {
      const queueId = level - 1;
      const max = this.store.getMaxOffsetInQueue(SYSTEM_TOPIC.SCHEDULE, queueId);
      let offset = this.offsets.get(level) ?? 0;
      if (offset >= max) continue;
      const min = this.store.getMinOffsetInQueue(SYSTEM_TOPIC.SCHEDULE, queueId);
      if (offset < min) offset = min;
      while (offset < max && !this.stopped) {
        const r = this.store.getMessage(SCHEDULE_GROUP, SYSTEM_TOPIC.SCHEDULE, queueId, offset, BATCH, null);
        if (r.messages.length === 0) {
          if (r.nextBeginOffset > offset) offset = r.nextBeginOffset;
          else break;
          continue;
        }
        let due = true;
        for (let i = 0; i < r.messages.length; i++) {
          const m = decodeMessage(r.messages[i]!, 0);
          const deliverAt = m.storeTimestamp + this.levels[queueId]!;
          if (deliverAt > Date.now()) {
            due = false;
            break;
          }
          await this.store.putMessage(this.restore(m));
          offset = r.queueOffsets[i]! + 1;
          this.offsets.set(level, offset);
        }
        if (!due) break;
      }
      this.offsets.set(level, offset);
    }
  }

  /** The real message: REAL_TOPIC/REAL_QID target, DELAY cleared, WAIT=false (as RocketMQ's messageTimeup). */
  private restore(m: StoredMessage): MessageInput {
    const props = new Map(Object.entries(m.properties));
    const topic = props.get(PROPERTY.REAL_TOPIC) ?? m.topic;
    const queueId = Number(props.get(PROPERTY.REAL_QID) ?? 0);
    props.delete(PROPERTY.DELAY);
    props.set(PROPERTY.WAIT, 'false');
    return inputFromStored(m, topic, queueId, props);
  }
}
