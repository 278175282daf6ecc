import { crc32, inflateSync, deflateSync, constants as zlibConstants } from 'node:zlib';
import { parseFastjson, sortedKeys, stringifyFastjson } from '../fastjson.js';
import type { DataVersion } from './route-table.js';
import { jsonJavaInt, jsonJavaLong } from '../java-number.js';

/**
 * REGISTER_BROKER (103) body, RegisterBrokerBody.java. Plain form (header compressed=false):
 *
 *   {"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":N,"timestamp":ms},
 *    "topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG",
 *    "topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}}
 *
 * Compressed form (compressed=true): a zlib stream (Deflater, best compression) of big-endian
 *
 *   int dvLen | dataVersion JSON | int topicCount | topicCount x (int len | "name read write perm filterType")
 *   | int flLen | filterServerList JSON
 *
 * The compressed topic text carries no topicSysFlag and no order flag (they read back as 0/false).
 */
export interface RegisterTopicConfig {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: string;
  topicSysFlag: number;
  order: boolean;
}

export interface RegisterBrokerBody {
  dataVersion: DataVersion;
  topicConfigs: RegisterTopicConfig[];
  filterServerList: string[];
}

const INT_BYTES = 4;
const TOPIC_TEXT_SEPARATOR = ' ';
const TOPIC_TEXT_FIELDS = 5;

/** `bodyCrc32` header value: UtilAll.crc32, i.e. CRC32 with the sign bit cleared (0 for no body). */
export function registerBodyCrc32(body: Buffer | undefined): number {
  return body === undefined ? 0 : crc32(body) & 0x7fffffff;
}

export class RegisterBodyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegisterBodyError';
  }
}

function dataVersionJson(dv: DataVersion) {
  return { counter: dv.counter, timestamp: dv.timestamp };
}

export function encodeRegisterBrokerBody(body: RegisterBrokerBody, compressed: boolean): Buffer {
  if (!compressed) {
    const table = new Map(body.topicConfigs.map((tc) => [tc.topicName, sortedKeys(tc)]));
    return Buffer.from(
      stringifyFastjson({
        filterServerList: body.filterServerList,
        topicConfigSerializeWrapper: { dataVersion: dataVersionJson(body.dataVersion), topicConfigTable: table },
      }),
    );
  }
  const parts: Buffer[] = [];
  const lengthPrefixed = (text: string): void => {
    const bytes = Buffer.from(text);
    const len = Buffer.allocUnsafe(INT_BYTES);
    len.writeInt32BE(bytes.length, 0);
    parts.push(len, bytes);
  };
  lengthPrefixed(stringifyFastjson(dataVersionJson(body.dataVersion)));
  const count = Buffer.allocUnsafe(INT_BYTES);
  count.writeInt32BE(body.topicConfigs.length, 0);
  parts.push(count);
  for (const tc of body.topicConfigs) {
    lengthPrefixed([tc.topicName, tc.readQueueNums, tc.writeQueueNums, tc.perm, tc.topicFilterType].join(TOPIC_TEXT_SEPARATOR));
  }
  lengthPrefixed(stringifyFastjson(body.filterServerList));
  return deflateSync(Buffer.concat(parts), { level: zlibConstants.Z_BEST_COMPRESSION });
}

/**
 * A Java int field (queue counts, perm): absent means the default; anything else that is not an
 * int refuses the body, as fastjson does. A count of 1e300 used to reach every route body, and
 * a client builds one message queue object per queue.
 */
function int(v: unknown, dflt: number, what: string): number {
  if (v === undefined || v === null) return dflt;
  const n = jsonJavaInt(v);
  if (n === undefined) throw new RegisterBodyError(`${what} is not an int: ${JSON.stringify(v)}`);
  return n;
}

function long(v: unknown, dflt: number, what: string): number {
  if (v === undefined || v === null) return dflt;
  const n = jsonJavaLong(v);
  if (n === undefined) throw new RegisterBodyError(`${what} is not a long: ${JSON.stringify(v)}`);
  return n;
}

function toDataVersion(v: unknown): DataVersion {
  const o = (v ?? {}) as Record<string, unknown>;
  return { counter: long(o.counter, 0, 'dataVersion.counter'), timestamp: long(o.timestamp, 0, 'dataVersion.timestamp') };
}

function toTopicConfig(name: string, v: unknown): RegisterTopicConfig {
  const o = (v ?? {}) as Record<string, unknown>;
  return {
    topicName: typeof o.topicName === 'string' ? o.topicName : name,
    readQueueNums: int(o.readQueueNums, 16, `${name}.readQueueNums`),
    writeQueueNums: int(o.writeQueueNums, 16, `${name}.writeQueueNums`),
    perm: int(o.perm, 6, `${name}.perm`),
    topicFilterType: typeof o.topicFilterType === 'string' ? o.topicFilterType : 'SINGLE_TAG',
    topicSysFlag: int(o.topicSysFlag, 0, `${name}.topicSysFlag`),
    order: o.order === true || o.order === 'true',
  };
}

function decodePlain(json: unknown, wrapperOnly: boolean): RegisterBrokerBody {
  const root = (json ?? {}) as Record<string, unknown>;
  const wrapper = (wrapperOnly ? root : root.topicConfigSerializeWrapper ?? {}) as Record<string, unknown>;
  const table = (wrapper.topicConfigTable ?? {}) as Record<string, unknown>;
  const filters = wrapperOnly ? [] : root.filterServerList;
  return {
    dataVersion: toDataVersion(wrapper.dataVersion),
    topicConfigs: Object.entries(table).map(([name, tc]) => toTopicConfig(name, tc)),
    filterServerList: Array.isArray(filters) ? filters.map(String) : [],
  };
}

function decodeCompressed(data: Buffer): RegisterBrokerBody {
  const raw = inflateSync(data);
  let p = 0;
  const readInt = (): number => {
    if (p + INT_BYTES > raw.length) throw new RegisterBodyError('compressed register body truncated');
    const v = raw.readInt32BE(p);
    p += INT_BYTES;
    return v;
  };
  const readText = (): string => {
    const len = readInt();
    if (len < 0 || p + len > raw.length) throw new RegisterBodyError('compressed register body truncated');
    const s = raw.toString('utf8', p, p + len);
    p += len;
    return s;
  };
  const dataVersion = toDataVersion(parseFastjson(readText()));
  const count = readInt();
  const topicConfigs: RegisterTopicConfig[] = [];
  for (let i = 0; i < count; i++) {
    const fields = readText().split(TOPIC_TEXT_SEPARATOR);
    // TopicConfig.decode ignores entries that do not have exactly five fields.
    if (fields.length !== TOPIC_TEXT_FIELDS) continue;
    const [topicName, read, write, perm, filterType] = fields as [string, string, string, string, string];
    topicConfigs.push({
      topicName,
      readQueueNums: int(read, 16, `${topicName}.readQueueNums`),
      writeQueueNums: int(write, 16, `${topicName}.writeQueueNums`),
      perm: int(perm, 6, `${topicName}.perm`),
      topicFilterType: filterType,
      topicSysFlag: 0,
      order: false,
    });
  }
  const filters = parseFastjson(readText());
  return { dataVersion, topicConfigs, filterServerList: Array.isArray(filters) ? filters.map(String) : [] };
}

/**
 * Decodes either form; `wrapperOnly` is the pre-3.0.11 body (a bare TopicConfigSerializeWrapper).
 * Throws RegisterBodyError (cause attached) on anything that does not decode.
 */
export function decodeRegisterBrokerBody(data: Buffer, compressed: boolean, wrapperOnly = false): RegisterBrokerBody {
  try {
    return compressed ? decodeCompressed(data) : decodePlain(parseFastjson(data.toString('utf8')), wrapperOnly);
  } catch (err) {
    if (err instanceof RegisterBodyError) throw err;
    throw new RegisterBodyError(`Failed to decode RegisterBrokerBody: ${(err as Error).message}`, { cause: err });
  }
}
