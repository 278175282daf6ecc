import { RequestCode } from '../codes.js';
import type { BrokerAPI } from './broker-api.js';
import { parseBody } from './lenient-json.js';

/** An account as RocketMQ's PlainAccessConfig carries it. */
export interface PlainAccessConfig {
  accessKey: string;
  secretKey?: string;
  whiteRemoteAddress?: string;
  admin?: boolean;
  defaultTopicPerm?: string;
  defaultGroupPerm?: string;
  topicPerms?: string[];
  groupPerms?: string[];
}

export interface AclVersionInfo {
  brokerName: string;
  brokerAddr: string;
  clusterName: string;
  /** The default ACL file's data version. */
  version: { counter: number; timestamp: number };
  /** Every ACL file's version, by path (RocketMQ 4.9.4+). */
  allAclFileVersion: Record<string, { counter: number; timestamp: number }>;
}

function json(text: string | undefined, fallback: unknown): unknown {
  try {
    return text ? JSON.parse(text) : fallback;
  } catch {
    return fallback;
  }
}

/**
 * The broker requests behind mqadmin's ACL commands (MQAdminExt's createAndUpdatePlainAccessConfig,
 * deletePlainAccessConfig, updateGlobalWhiteAddrConfig, examineBrokerClusterAclVersionInfo and
 * examineBrokerClusterAclConfig). Lists travel comma-joined, as in Java's request headers.
 */
export class AclAdmin {
  constructor(private readonly api: BrokerAPI) {}

  async updateAccessConfig(brokerAddr: string, c: PlainAccessConfig): Promise<void> {
    await this.api.call(brokerAddr, RequestCode.UPDATE_AND_CREATE_ACL_CONFIG, `update acl config of ${c.accessKey}`, {
      accessKey: c.accessKey,
      secretKey: c.secretKey,
      whiteRemoteAddress: c.whiteRemoteAddress,
      admin: c.admin ?? false,
      defaultTopicPerm: c.defaultTopicPerm,
      defaultGroupPerm: c.defaultGroupPerm,
      topicPerms: c.topicPerms?.join(','),
      groupPerms: c.groupPerms?.join(','),
    });
  }

  async deleteAccessConfig(brokerAddr: string, accessKey: string): Promise<void> {
    await this.api.call(brokerAddr, RequestCode.DELETE_ACL_CONFIG, `delete acl config of ${accessKey}`, { accessKey });
  }

  async updateGlobalWhiteAddrs(brokerAddr: string, addrs: string[], aclFileFullPath?: string): Promise<void> {
    await this.api.call(brokerAddr, RequestCode.UPDATE_GLOBAL_WHITE_ADDRS_CONFIG, 'update global white addresses', { globalWhiteAddrs: addrs.join(','), aclFileFullPath });
  }

  async versionInfo(brokerAddr: string): Promise<AclVersionInfo> {
    const h = (await this.api.call(brokerAddr, RequestCode.GET_BROKER_CLUSTER_ACL_INFO, 'acl version')).extFields;
    return {
      brokerName: h.brokerName ?? '',
      brokerAddr: h.brokerAddr ?? brokerAddr,
      clusterName: h.clusterName ?? '',
      version: json(h.version, { counter: 0, timestamp: 0 }) as AclVersionInfo['version'],
      allAclFileVersion: json(h.allAclFileVersion, {}) as AclVersionInfo['allAclFileVersion'],
    };
  }

  async config(brokerAddr: string): Promise<{ globalWhiteAddrs: string[]; plainAccessConfigs: PlainAccessConfig[] }> {
    const res = await this.api.call(brokerAddr, RequestCode.GET_BROKER_CLUSTER_ACL_CONFIG, 'acl config');
    const body = parseBody(res.body, brokerAddr) as { globalWhiteAddrs?: string[]; plainAccessConfigs?: PlainAccessConfig[] };
    return { globalWhiteAddrs: body.globalWhiteAddrs ?? [], plainAccessConfigs: body.plainAccessConfigs ?? [] };
  }
}
