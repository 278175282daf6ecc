import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RemotingCommand } from '../remoting-command.js';
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { requestSignature, signingKey, UNIQUE_MSG_QUERY_FLAG } from '../acl-signature.js';
import type { Logger } from '../logger.js';
import { ADMIN_CODES, AclError, Perm, checkPermission, checkResourcePerms, isRetryTopic, parsePerm, parseResourcePerms, resourceLabel } from './acl-permission.js';
import { aclFilePaths, checkAccountKeys, DEFAULT_ACL_FILE, readAclFile, writeAclFile, type AclFile, type AclVersion, type PlainAccessConfig } from './acl-config.js';
import { addressMatcher, type AddressMatcher } from './acl-remote-address.js';
import { accessRequest, type AccessRequest } from './acl-resource.js';

/** Sends to this topic with PUB alone pass once signed (message traces; RocketMQ 4.9.4+). */
const TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
/** How often the ACL files are looked at for changes (RocketMQ 4.9.0: 500 ms by content hash). */
const WATCH_INTERVAL_MS = 500;

interface Account {
  cfg: PlainAccessConfig;
  key: KeyObject;
  file: AclFile;
  white: AddressMatcher;
  defaultTopicPerm: number;
  defaultGroupPerm: number;
  resources: Map<string, number> | null;
}

interface AclState {
  files: AclFile[];
  globalWhite: AddressMatcher[];
  accounts: Map<string, Account>;
}

/** A comparison whose time does not tell how much of a guessed signature was right. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function compile(files: AclFile[], log: Logger): AclState {
  const state: AclState = { files, globalWhite: [], accounts: new Map() };
  for (const file of files) {
    for (const addr of file.globalWhiteRemoteAddresses) state.globalWhite.push(addressMatcher(addr));
    const inFile = new Map<string, Account>();
    for (const cfg of file.accounts) {
      let resources: Map<string, number> | null = null;
      if (cfg.topicPerms !== undefined || cfg.groupPerms !== undefined) {
        resources = new Map();
        parseResourcePerms(cfg.topicPerms, true, resources);
        parseResourcePerms(cfg.groupPerms, false, resources);
      }
      // Within a file the later entry wins (a map put); across files the first file.
      inFile.set(cfg.accessKey, {
        cfg,
        key: signingKey(cfg.secretKey),
        file,
        white: addressMatcher(cfg.whiteRemoteAddress),
        defaultTopicPerm: parsePerm(cfg.defaultTopicPerm),
        defaultGroupPerm: parsePerm(cfg.defaultGroupPerm),
        resources,
      });
    }
    for (const [key, account] of inFile) {
      if (state.accounts.has(key)) log.warn('acl: the accessKey %s is repeated in multiple ACL files; %s is used', key, state.accounts.get(key)!.file.path);
      else state.accounts.set(key, account);
    }
  }
  return state;
}

/**
 * RocketMQ's PlainAccessValidator with `aclEnable=true`: every request is checked before its
 * processor runs (global white addresses, the account, its white address, the signature, admin
 * codes, topic and group permissions), and a refusal answers SYSTEM_ERROR with the AclException
 * text, as a Java broker does. The files are reloaded when they change; a file that does not load
 * leaves the previous rules in force (and says why) rather than opening or closing the broker.
 */
export class PlainAccessValidator {
  private readonly home: string;
  private readonly log: Logger;
  private state: AclState;
  private fingerprint = '';
  private timer: NodeJS.Timeout | null = null;

  /** Loads the files under `home`; throws AclError when they do not load (the broker refuses to start). */
  constructor(home: string, log: Logger) {
    this.home = home;
    this.log = log;
    this.fingerprint = this.currentFingerprint();
    this.state = this.loadFiles();
  }

  get defaultFile(): string {
    return resolve(this.home, DEFAULT_ACL_FILE);
  }

  start(): void {
    this.timer ??= setInterval(() => this.reloadIfChanged(), WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Throws AclError when `req` from `remoteAddress` may not run. */
  check(req: RemotingCommand, remoteAddress: string): void {
    this.validate(accessRequest(req, remoteAddress), req);
  }

  private validate(res: AccessRequest, req: RemotingCommand): void {
    const { state } = this;
    if (state.globalWhite.some((m) => m(res.ip))) return;
    if (res.accessKey === undefined) throw new AclError('No accessKey is configured');
    const owned = state.accounts.get(res.accessKey);
    if (!owned) throw new AclError(`No acl config for ${res.accessKey}`);
    if (owned.white(res.ip)) return;
    if (!this.signatureMatches(res, req, owned.key)) throw new AclError(`Check signature failed for accessKey=${res.accessKey}`);
    if (res.resources?.size === 1 && res.resources.get(TRACE_TOPIC) === Perm.PUB) return;
    if (ADMIN_CODES.has(res.code) && !owned.cfg.admin) {
      throw new AclError(`Need admin permission for request code=${res.code}, but accessKey=${res.accessKey} is not`);
    }
    if (res.resources === null) return;
    if (owned.resources === null && owned.cfg.admin) return;
    for (const [resource, needed] of res.resources) {
      const listed = owned.resources?.get(resource);
      const perm = listed ?? (isRetryTopic(resource) ? owned.defaultGroupPerm : owned.defaultTopicPerm);
      if (!checkPermission(needed, perm)) throw new AclError(`No default permission for ${resourceLabel(resource)}`);
    }
  }

  /**
   * RocketMQ 4.9 brokers leave the unique-key query flag out of the signed content, while 4.9.4+
   * clients sign it (a known mismatch): both forms are accepted, so either client can query.
   */
  private signatureMatches(res: AccessRequest, req: RemotingCommand, key: KeyObject): boolean {
    const given = res.signature;
    if (given === undefined) return false;
    if (sameText(requestSignature(req.extFields, req.body, key), given)) return true;
    if (req.extFields[UNIQUE_MSG_QUERY_FLAG] === undefined) return false;
    return sameText(requestSignature(req.extFields, req.body, key, true), given);
  }

  private loadFiles(): AclState {
    const files = aclFilePaths(this.home).map((p) => readAclFile(p, (msg) => this.log.warn('acl: %s', msg)));
    return compile(files, this.log);
  }

  private currentFingerprint(): string {
    return aclFilePaths(this.home)
      .map((p) => {
        const st = statSync(p, { throwIfNoEntry: false });
        return st ? `${p}:${st.mtimeMs}:${st.size}` : `${p}:-`;
      })
      .join('|');
  }

  /** Reloads after a change on disk; a file that does not load is reported and the old rules stay. */
  reloadIfChanged(): void {
    const now = this.currentFingerprint();
    if (now === this.fingerprint) return;
    this.fingerprint = now;
    try {
      this.state = this.loadFiles();
      this.log.info('acl: reloaded %d file(s), %d account(s)', this.state.files.length, this.state.accounts.size);
    } catch (e) {
      this.log.error('acl: reload failed, the previous rules stay in force: %s', (e as Error).message);
    }
  }

  /** The default file's data version (GET_BROKER_CLUSTER_ACL_INFO's `version`). */
  get version(): AclVersion {
    return this.state.files[0]!.dataVersion;
  }

  get allVersions(): Record<string, AclVersion> {
    return Object.fromEntries(this.state.files.map((f) => [f.path, f.dataVersion]));
  }

  get allConfig(): { globalWhiteAddrs: string[]; plainAccessConfigs: PlainAccessConfig[] } {
    return {
      globalWhiteAddrs: this.state.files.flatMap((f) => f.globalWhiteRemoteAddresses),
      plainAccessConfigs: [...this.state.accounts.values()].map((a) => a.cfg),
    };
  }

  /**
   * Creates or updates an account (UPDATE_AND_CREATE_ACL_CONFIG): an existing one is merged field
   * by field in its own file, a new one goes to the default file. The change is checked by
   * compiling the new rules before anything is written.
   */
  updateAccessConfig(update: Partial<PlainAccessConfig> & { accessKey: string }): void {
    checkAccountKeys(update.accessKey, update.secretKey);
    checkResourcePerms(update.topicPerms);
    checkResourcePerms(update.groupPerms);
    const existing = this.state.accounts.get(update.accessKey);
    const file = this.fresh(existing ? existing.file.path : this.defaultFile);
    const old = file.accounts.find((a) => a.accessKey === update.accessKey);
    const merged: PlainAccessConfig = old ? { ...old } : { accessKey: update.accessKey, secretKey: update.secretKey!, admin: false };
    if (update.secretKey) merged.secretKey = update.secretKey;
    if (update.whiteRemoteAddress !== undefined) merged.whiteRemoteAddress = update.whiteRemoteAddress;
    merged.admin = update.admin ?? false;
    if (update.defaultTopicPerm) merged.defaultTopicPerm = update.defaultTopicPerm;
    if (update.defaultGroupPerm) merged.defaultGroupPerm = update.defaultGroupPerm;
    if (update.topicPerms !== undefined) merged.topicPerms = update.topicPerms;
    if (update.groupPerms !== undefined) merged.groupPerms = update.groupPerms;
    file.accounts = [...file.accounts.filter((a) => a.accessKey !== update.accessKey), merged];
    this.commit(file);
  }

  /** DELETE_ACL_CONFIG: false when no file holds the key. */
  deleteAccessConfig(accessKey: string): boolean {
    const existing = this.state.accounts.get(accessKey);
    if (!existing) return false;
    const file = this.fresh(existing.file.path);
    const left = file.accounts.filter((a) => a.accessKey !== accessKey);
    if (left.length === file.accounts.length) return false;
    file.accounts = left;
    this.commit(file);
    return true;
  }

  /** UPDATE_GLOBAL_WHITE_ADDRS_CONFIG: replaces the list of one file (the default one unless named). */
  updateGlobalWhiteAddrs(addrs: string[], filePath?: string): void {
    const path = filePath ? resolve(filePath) : this.defaultFile;
    if (!this.state.files.some((f) => f.path === path)) throw new AclError(`${path} is not one of this broker's ACL files`);
    const file = this.fresh(path);
    file.globalWhiteRemoteAddresses = addrs;
    this.commit(file);
  }

  /** The file as it is on disk now (an edit by hand since the last reload is not overwritten). */
  private fresh(path: string): AclFile {
    return readAclFile(path, (msg) => this.log.warn('acl: %s', msg));
  }

  private commit(file: AclFile): void {
    const files = aclFilePaths(this.home).map((p) => (p === file.path ? file : this.fresh(p)));
    compile(files, this.log);
    writeAclFile(file);
    this.fingerprint = this.currentFingerprint();
    this.state = compile(files, this.log);
  }
}
