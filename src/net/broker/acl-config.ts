import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { AclError } from './acl-permission.js';
import { replaceFileSync } from '../../store/replace-file.js';

/**
 * The plain ACL files of RocketMQ 4.9.4+: `conf/plain_acl.yml` (the default file, where new
 * accounts go) plus every `.yml`/`.yaml` under `conf/acl/`, each with `globalWhiteRemoteAddresses`,
 * `accounts` and the `dataVersion` the broker bumps on every change it writes. Files are parsed as
 * YAML 1.1 (RocketMQ reads them with SnakeYAML), so `secretKey: 12345678` is the string "12345678"
 * and `admin: yes` is true.
 */

/** One account as the file and the admin requests carry it (RocketMQ's PlainAccessConfig). */
export interface PlainAccessConfig {
  accessKey: string;
  secretKey: string;
  whiteRemoteAddress?: string;
  admin: boolean;
  defaultTopicPerm?: string;
  defaultGroupPerm?: string;
  topicPerms?: string[];
  groupPerms?: string[];
}

export interface AclVersion {
  counter: number;
  timestamp: number;
}

export interface AclFile {
  path: string;
  globalWhiteRemoteAddresses: string[];
  accounts: PlainAccessConfig[];
  dataVersion: AclVersion;
}

export const DEFAULT_ACL_FILE = join('conf', 'plain_acl.yml');
const ACL_DIR = join('conf', 'acl');
const TOOLS_FILE = join('conf', 'tools.yml');
const ACCOUNT_KEYS = new Set(['accessKey', 'secretKey', 'whiteRemoteAddress', 'admin', 'defaultTopicPerm', 'defaultGroupPerm', 'topicPerms', 'groupPerms']);
const FILE_KEYS = new Set(['globalWhiteRemoteAddresses', 'accounts', 'dataVersion']);

/** The default file first, then the directory's files in name order (the first definition of a key wins). */
export function aclFilePaths(home: string): string[] {
  const paths = [resolve(home, DEFAULT_ACL_FILE)];
  const tools = resolve(home, TOOLS_FILE);
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name) && p !== tools && p !== paths[0]) paths.push(p);
    }
  };
  walk(resolve(home, ACL_DIR));
  return paths;
}

/** Scalars as Java's fastjson turns them into PlainAccessConfig's String fields. */
function text(v: unknown, where: string): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  throw new AclError(`${where} must be a string`);
}

function textList(v: unknown, where: string): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (!Array.isArray(v)) throw new AclError(`${where} must be a list`);
  return v.map((item, i) => text(item, `${where}[${i}]`) ?? '');
}

/** RocketMQ's checkPlainAccessConfig: both keys present and longer than 6 characters. */
export function checkAccountKeys(accessKey: string | undefined, secretKey: string | undefined): void {
  if (accessKey === undefined || secretKey === undefined || accessKey.length <= 6 || secretKey.length <= 6) {
    // RocketMQ prints the secret key too; a log line is no place for it.
    throw new AclError(`The accessKey=${accessKey} and secretKey cannot be null and length should longer than 6`);
  }
}

function account(raw: unknown, where: string, warn: (msg: string) => void): PlainAccessConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AclError(`${where} must be a mapping`);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!ACCOUNT_KEYS.has(k)) warn(`${where}: unknown key ${k} ignored`);
  const accessKey = text(o.accessKey, `${where}.accessKey`);
  const secretKey = text(o.secretKey, `${where}.secretKey`);
  checkAccountKeys(accessKey, secretKey);
  const admin = o.admin === undefined || o.admin === null ? false : String(o.admin) === 'true';
  const cfg: PlainAccessConfig = { accessKey: accessKey!, secretKey: secretKey!, admin };
  const optional = { whiteRemoteAddress: text(o.whiteRemoteAddress, `${where}.whiteRemoteAddress`), defaultTopicPerm: text(o.defaultTopicPerm, `${where}.defaultTopicPerm`), defaultGroupPerm: text(o.defaultGroupPerm, `${where}.defaultGroupPerm`), topicPerms: textList(o.topicPerms, `${where}.topicPerms`), groupPerms: textList(o.groupPerms, `${where}.groupPerms`) };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (cfg as unknown as Record<string, unknown>)[k] = v;
  return cfg;
}

function version(raw: unknown): AclVersion {
  const first = Array.isArray(raw) ? raw[0] : raw;
  const o = (first ?? {}) as Record<string, unknown>;
  return { counter: Number(o.counter) || 0, timestamp: Number(o.timestamp) || 0 };
}

/** A YAML 1.1 file (SnakeYAML's dialect) as plain data; undefined when the file does not exist. */
export function readYamlFile(path: string): unknown {
  if (!existsSync(path)) return undefined;
  try {
    return parseYaml(readFileSync(path, 'utf8'), { version: '1.1' });
  } catch (e) {
    throw new AclError(`${path}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
}

/** Parses one ACL file; a missing or empty file is an empty one. Errors name the file. */
export function readAclFile(path: string, warn: (msg: string) => void = () => {}): AclFile {
  const empty: AclFile = { path, globalWhiteRemoteAddresses: [], accounts: [], dataVersion: { counter: 0, timestamp: 0 } };
  const doc = readYamlFile(path);
  if (doc === null || doc === undefined) return empty;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new AclError(`${path}: expected a mapping at the top`);
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FILE_KEYS.has(k)) warn(`${path}: unknown key ${k} ignored`);
  const accountsRaw = o.accounts ?? [];
  if (!Array.isArray(accountsRaw)) throw new AclError(`${path}: accounts must be a list`);
  return {
    path,
    globalWhiteRemoteAddresses: textList(o.globalWhiteRemoteAddresses, `${path}: globalWhiteRemoteAddresses`) ?? [],
    accounts: accountsRaw.map((a, i) => account(a, `${path}: accounts[${i}]`, warn)),
    dataVersion: version(o.dataVersion),
  };
}

/**
 * Writes `file` whole with its data version bumped (as RocketMQ does; comments are not kept,
 * which RocketMQ does not either), atomically and durably, keeping its permissions (replaceFileSync).
 */
export function writeAclFile(file: AclFile): AclVersion {
  const next: AclVersion = { counter: file.dataVersion.counter + 1, timestamp: Date.now() };
  const doc: Record<string, unknown> = {
    globalWhiteRemoteAddresses: file.globalWhiteRemoteAddresses,
    accounts: file.accounts,
    dataVersion: [next],
  };
  replaceFileSync(file.path, stringifyYaml(doc, { version: '1.1' }));
  file.dataVersion = next;
  return next;
}
