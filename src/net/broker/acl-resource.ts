import { RequestCode } from '../codes.js';
import type { RemotingCommand } from '../remoting-command.js';
import { ACCESS_KEY, SECURITY_TOKEN, SIGNATURE } from '../acl-signature.js';
import { AclError, Perm, isRetryTopic, retryTopic } from './acl-permission.js';
import { parseHeartbeat } from './processors/client-manage.js';

/**
 * What one request asks of the ACL (RocketMQ's PlainAccessResource.parse, 4.9.4+): who signs it,
 * from which address, and which topics and groups (as retry topics) it needs PUB or SUB on.
 * Requests not listed here name no resource: a valid signature is enough for them, plus the
 * admin flag for the admin codes.
 */
export interface AccessRequest {
  /** Client IP (the remote address without its port). */
  ip: string;
  code: number;
  accessKey?: string;
  signature?: string;
  securityToken?: string;
  /** Resource (topic or %RETRY%group) -> permission needed; null when none is named. */
  resources: Map<string, number> | null;
}

export function accessRequest(req: RemotingCommand, remoteAddress: string): AccessRequest {
  const colon = remoteAddress.lastIndexOf(':');
  const out: AccessRequest = { ip: colon > 0 ? remoteAddress.slice(0, colon) : remoteAddress, code: req.code, resources: null };
  const ext = req.extFields;
  out.accessKey = ext[ACCESS_KEY];
  out.signature = ext[SIGNATURE];
  out.securityToken = ext[SECURITY_TOKEN];
  const need = (resource: string | undefined, perm: number): void => {
    if (resource === undefined) return;
    (out.resources ??= new Map()).set(resource, perm);
  };
  const group = (name: string | undefined): string | undefined => (name === undefined ? undefined : retryTopic(name));
  try {
    switch (req.code) {
      case RequestCode.SEND_MESSAGE:
        if (ext.topic !== undefined && isRetryTopic(ext.topic)) need(group(ext.group), Perm.SUB);
        else need(ext.topic, Perm.PUB);
        break;
      case RequestCode.SEND_MESSAGE_V2:
      case RequestCode.SEND_BATCH_MESSAGE:
        if (ext.b !== undefined && isRetryTopic(ext.b)) need(group(ext.a), Perm.SUB);
        else need(ext.b, Perm.PUB);
        break;
      case RequestCode.CONSUMER_SEND_MSG_BACK:
        need(group(ext.group), Perm.SUB);
        break;
      case RequestCode.PULL_MESSAGE:
        need(ext.topic, Perm.SUB);
        need(group(ext.consumerGroup), Perm.SUB);
        break;
      case RequestCode.QUERY_MESSAGE:
        need(ext.topic, Perm.SUB);
        break;
      case RequestCode.HEART_BEAT:
        for (const c of parseHeartbeat(req.body).consumers) {
          need(group(c.groupName), Perm.SUB);
          for (const s of c.subscriptions) need(s.topic, Perm.SUB);
        }
        break;
      case RequestCode.UNREGISTER_CLIENT:
      case RequestCode.GET_CONSUMER_LIST_BY_GROUP:
        need(group(ext.consumerGroup), Perm.SUB);
        break;
      case RequestCode.UPDATE_CONSUMER_OFFSET:
        need(group(ext.consumerGroup), Perm.SUB);
        need(ext.topic, Perm.SUB);
        break;
      default:
        break;
    }
  } catch (e) {
    throw new AclError((e as Error).message, { cause: e });
  }
  return out;
}
