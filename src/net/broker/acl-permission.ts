import { RequestCode } from '../codes.js';
import { RETRY_PREFIX } from './topic-validator.js';

/**
 * RocketMQ 4.9's ACL permissions (Permission.java): one byte of bits per resource. Groups live in
 * the same table as topics, under their retry topic (`%RETRY%group`), as RocketMQ keeps them.
 */
export const Perm = { DENY: 1, ANY: 2, PUB: 4, SUB: 8 } as const;

/**
 * The request codes only an `admin: true` account may send: RocketMQ's Permission.ADMIN_CODE, plus
 * the ACL administration itself (50-54) and the maintenance requests that delete queues or files,
 * rewrite a group's offsets or re-put messages (306, 314, 316, 323, 329). RocketMQ 4.9 leaves all
 * of these open to every account: any account could read every secret key or make itself admin
 * (apache/rocketmq#5970), or drop another tenant's queues.
 */
export const ADMIN_CODES: ReadonlySet<number> = new Set([
  RequestCode.UPDATE_AND_CREATE_TOPIC,
  RequestCode.UPDATE_BROKER_CONFIG,
  RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
  RequestCode.DELETE_SUBSCRIPTIONGROUP,
  RequestCode.DELETE_TOPIC_IN_BROKER,
  RequestCode.UPDATE_AND_CREATE_ACL_CONFIG,
  RequestCode.DELETE_ACL_CONFIG,
  RequestCode.GET_BROKER_CLUSTER_ACL_INFO,
  RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG,
  RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG,
  RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE,
  RequestCode.CLEAN_UNUSED_TOPIC,
  RequestCode.CLONE_GROUP_OFFSET,
  RequestCode.RESUME_CHECK_HALF_MESSAGE,
  RequestCode.DELETE_EXPIRED_COMMITLOG,
]);

/** An ACL refusal or a bad ACL configuration (RocketMQ's AclException). */
export class AclError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AclException';
  }

  /** The remark a refused request gets, as a Java broker words it (exception class, then message). */
  get remark(): string {
    return `org.apache.rocketmq.acl.common.AclException: ${this.message}`;
  }
}

/**
 * Permission.parsePermFromString (case-sensitive): PUB, SUB, PUB|SUB (either order) and DENY; anything else, a
 * missing value and even "ANY" mean DENY in RocketMQ 4.9, so a typo closes rather than opens.
 */
export function parsePerm(s: string | undefined | null): number {
  switch ((s ?? '').trim()) {
    case 'PUB':
      return Perm.PUB;
    case 'SUB':
      return Perm.SUB;
    case 'PUB|SUB':
    case 'SUB|PUB':
      return Perm.PUB | Perm.SUB;
    default:
      return Perm.DENY;
  }
}

/** Permission.checkPermission: DENY refuses everything; otherwise a needed bit must be owned. */
export function checkPermission(needed: number, owned: number): boolean {
  if (owned & Perm.DENY) return false;
  if (needed & Perm.ANY) return (owned & (Perm.PUB | Perm.SUB)) !== 0;
  return (needed & owned) !== 0;
}

export function isRetryTopic(topic: string): boolean {
  return topic.startsWith(RETRY_PREFIX);
}

export function retryTopic(group: string): string {
  return RETRY_PREFIX + group;
}

/** How a refusal names a resource: `group:<g>` for retry topics, `topic:<t>` otherwise. */
export function resourceLabel(resource: string): string {
  return isRetryTopic(resource) ? `group:${resource.slice(RETRY_PREFIX.length)}` : `topic:${resource}`;
}

/** `name=PERM` entries (commons-lang split on '=': empty pieces dropped) into `into`; groups keyed by retry topic. */
export function parseResourcePerms(entries: readonly string[] | undefined, isTopic: boolean, into: Map<string, number>): void {
  for (const entry of entries ?? []) {
    const items = entry.split('=').filter((p) => p.length > 0);
    if (items.length !== 2) throw new AclError(`Parse resource permission failed for ${isTopic ? 'topic' : 'group'}:${entry}`);
    const name = items[0]!.trim();
    into.set(isTopic ? name : retryTopic(name), parsePerm(items[1]));
  }
}

/** The stricter check of an admin update (checkResourcePerms): each entry `Res=Perm` with a real permission. */
export function checkResourcePerms(entries: readonly string[] | undefined): void {
  for (const entry of entries ?? []) {
    const items = entry.split('=').filter((p) => p.length > 0);
    if (items.length !== 2) {
      throw new AclError(`Parse Resource format error for ${entry}.\nThe expected resource format is 'Res=Perm'. For example: topicA=SUB`);
    }
    if (items[1]!.trim() !== 'DENY' && parsePerm(items[1]) === Perm.DENY) {
      throw new AclError(`Parse resource permission error for ${entry}.\nThe expected permissions are 'SUB' or 'PUB' or 'SUB|PUB' or 'PUB|SUB'.`);
    }
  }
}
