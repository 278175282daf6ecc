/**
 * TopicConfig and DataVersion as RocketMQ 4.9 serializes them (fastjson, fields in alphabetical
 * order): `{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",
 * "topicName":"T","topicSysFlag":0,"writeQueueNums":4}` and `{"counter":3,"timestamp":ms}`.
 */
export const PERM = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;

export type TopicFilterType = 'SINGLE_TAG' | 'MULTI_TAG';

export interface TopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: TopicFilterType;
  topicSysFlag: number;
  order: boolean;
}

/** RocketMQ's `new TopicConfig(name)`: 16 read and write queues, perm R|W. */
export function topicConfig(topicName: string, values: Partial<Omit<TopicConfig, 'topicName'>> = {}): TopicConfig {
  return {
    topicName,
    readQueueNums: values.readQueueNums ?? 16,
    writeQueueNums: values.writeQueueNums ?? 16,
    perm: values.perm ?? PERM.READ | PERM.WRITE,
    topicFilterType: values.topicFilterType ?? 'SINGLE_TAG',
    topicSysFlag: values.topicSysFlag ?? 0,
    order: values.order ?? false,
  };
}

/** Alphabetical key order, as fastjson writes it. */
export function topicConfigJson(tc: TopicConfig): Record<string, unknown> {
  return {
    order: tc.order,
    perm: tc.perm,
    readQueueNums: tc.readQueueNums,
    topicFilterType: tc.topicFilterType,
    topicName: tc.topicName,
    topicSysFlag: tc.topicSysFlag,
    writeQueueNums: tc.writeQueueNums,
  };
}

/** Accepts a parsed TopicConfig JSON object; missing fields take RocketMQ's defaults. */
export function topicConfigFromJson(name: string, v: unknown): TopicConfig {
  const o = (v ?? {}) as Record<string, unknown>;
  const num = (x: unknown, d: number): number => (typeof x === 'number' ? x : typeof x === 'string' && x !== '' ? Number(x) : d);
  return topicConfig(typeof o.topicName === 'string' ? o.topicName : name, {
    readQueueNums: num(o.readQueueNums, 16),
    writeQueueNums: num(o.writeQueueNums, 16),
    perm: num(o.perm, PERM.READ | PERM.WRITE),
    topicFilterType: o.topicFilterType === 'MULTI_TAG' ? 'MULTI_TAG' : 'SINGLE_TAG',
    topicSysFlag: num(o.topicSysFlag, 0),
    order: o.order === true || o.order === 'true',
  });
}

export function isReadable(perm: number): boolean {
  return (perm & PERM.READ) !== 0;
}

export function isWriteable(perm: number): boolean {
  return (perm & PERM.WRITE) !== 0;
}

export function isInherited(perm: number): boolean {
  return (perm & PERM.INHERIT) !== 0;
}

export function permToString(perm: number): string {
  return `${isReadable(perm) ? 'R' : '-'}${isWriteable(perm) ? 'W' : '-'}${isInherited(perm) ? 'X' : '-'}`;
}

/** A config table's version: bumped on every change; NameServers re-read topics when it differs. */
export class DataVersion {
  timestamp = Date.now();
  counter = 0;

  next(): void {
    this.timestamp = Date.now();
    this.counter++;
  }

  assign(v: unknown): void {
    const o = (v ?? {}) as Record<string, unknown>;
    if (typeof o.timestamp === 'number') this.timestamp = o.timestamp;
    if (typeof o.counter === 'number') this.counter = o.counter;
  }

  /** Whether `v` (a DataVersion's JSON) is this version (both fields, as Java's equals). */
  equals(v: unknown): boolean {
    const o = (v ?? {}) as Record<string, unknown>;
    return o.timestamp === this.timestamp && o.counter === this.counter;
  }

  toJSON(): { counter: number; timestamp: number } {
    return { counter: this.counter, timestamp: this.timestamp };
  }
}
