import { RequestCode, ResponseCode } from '../../codes.js';
import { stringifyFastjson } from '../../fastjson.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { AclError } from '../acl-permission.js';
import type { PlainAccessValidator } from '../plain-access-validator.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

/** `a,b,,c` -> [a, b, c] (UtilAll.split); absent stays absent. */
function list(v: string | undefined): string[] | undefined {
  return v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function required(req: RemotingCommand, field: string): string {
  const v = req.extFields[field];
  if (v === undefined || v === '') throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the request header field ${field} is required`);
  return v;
}

/**
 * The ACL administration of RocketMQ 4.9's AdminBrokerProcessor: UPDATE_AND_CREATE_ACL_CONFIG (50),
 * DELETE_ACL_CONFIG (51), GET_BROKER_CLUSTER_ACL_INFO (52), UPDATE_GLOBAL_WHITE_ADDRS_CONFIG (53)
 * and GET_BROKER_CLUSTER_ACL_CONFIG (54). Changes are written to the ACL files and in force at
 * once. Without `aclEnable` each answers its failure code saying so.
 */
export function aclAdminProcessors(ctx: BrokerContext, acl: () => PlainAccessValidator | null): ProcessorTable {
  const validator = (failCode: number): PlainAccessValidator => {
    const v = acl();
    if (!v) throw new BrokerError(failCode, 'The broker does not enable acl (aclEnable=false)');
    return v;
  };
  /** An AclError (a bad key, permission or address) answers the operation's failure code with its text. */
  const failing = (failCode: number, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      if (e instanceof AclError) throw new BrokerError(failCode, e.message, { cause: e });
      throw e;
    }
  };
  const { config } = ctx;
  return [
    [RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, guarded(ctx.logger, 'update acl config', (req, conn) => {
      const code = ResponseCode.UPDATE_AND_CREATE_ACL_CONFIG_FAILED;
      const v = validator(code);
      const h = req.extFields;
      const accessKey = required(req, 'accessKey');
      failing(code, () =>
        v.updateAccessConfig({
          accessKey,
          secretKey: h.secretKey,
          whiteRemoteAddress: h.whiteRemoteAddress,
          admin: h.admin === 'true',
          defaultTopicPerm: h.defaultTopicPerm,
          defaultGroupPerm: h.defaultGroupPerm,
          topicPerms: list(h.topicPerms),
          groupPerms: list(h.groupPerms),
        }),
      );
      ctx.logger.info('acl: account %s created or updated by %s', accessKey, conn.remoteAddress);
      return success(req);
    })],
    [RequestCode.DELETE_ACL_CONFIG, guarded(ctx.logger, 'delete acl config', (req, conn) => {
      const code = ResponseCode.DELETE_ACL_CONFIG_FAILED;
      const v = validator(code);
      const accessKey = required(req, 'accessKey');
      let deleted = false;
      failing(code, () => (deleted = v.deleteAccessConfig(accessKey)));
      if (!deleted) throw new BrokerError(code, `The accessKey[${accessKey}] corresponding to accessConfig has been deleted failed.`);
      ctx.logger.info('acl: account %s deleted by %s', accessKey, conn.remoteAddress);
      return success(req);
    })],
    [RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, guarded(ctx.logger, 'update global white addresses', (req, conn) => {
      const code = ResponseCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED;
      const v = validator(code);
      const addrs = list(required(req, 'globalWhiteAddrs')) ?? [];
      failing(code, () => v.updateGlobalWhiteAddrs(addrs, req.extFields.aclFileFullPath || undefined));
      ctx.logger.info('acl: global white addresses set to [%s] by %s', addrs.join(','), conn.remoteAddress);
      return success(req);
    })],
    [RequestCode.GET_BROKER_CLUSTER_ACL_INFO, guarded(ctx.logger, 'acl version', (req) => {
      const v = validator(ResponseCode.SYSTEM_ERROR);
      return success(req, {
        version: stringifyFastjson(v.version),
        allAclFileVersion: stringifyFastjson(v.allVersions),
        brokerName: config.brokerName,
        brokerAddr: ctx.brokerAddr,
        clusterName: config.brokerClusterName,
      });
    })],
    [RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG, guarded(ctx.logger, 'acl config', (req) => {
      const v = validator(ResponseCode.SYSTEM_ERROR);
      return success(req, undefined, jsonBody(stringifyFastjson(v.allConfig)));
    })],
  ];
}
