import { join } from 'node:path';
import { readYamlFile } from '../net/broker/acl-config.js';
import { rocketmqHome } from '../net/rocketmq-home.js';

/** The ACL identity mqadmin signs with: `accessKey` and `secretKey` of `$ROCKETMQ_HOME/conf/tools.yml`. */
export interface ToolsCredentials {
  accessKey: string;
  secretKey: string;
}

const NONE: ToolsCredentials = { accessKey: '', secretKey: '' };

/**
 * As RocketMQ's MQAdminStartup (AclUtils.getAclRPCHook): no file, an empty one or a blank key means
 * unsigned requests, which brokers without aclEnable accept anyway. A file that is not YAML is an
 * error: silently sending unsigned requests would only fail later, at the broker, less clearly.
 */
export function toolsCredentials(home = rocketmqHome()): ToolsCredentials {
  const doc = readYamlFile(join(home, 'conf', 'tools.yml'));
  const o = (doc ?? {}) as Record<string, unknown>;
  const accessKey = o.accessKey == null ? '' : String(o.accessKey).trim();
  const secretKey = o.secretKey == null ? '' : String(o.secretKey).trim();
  return accessKey && secretKey ? { accessKey, secretKey } : NONE;
}
