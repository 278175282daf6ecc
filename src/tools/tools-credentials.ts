import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
  const path = join(home, 'conf', 'tools.yml');
  if (!existsSync(path)) return NONE;
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'), { version: '1.1' });
  } catch (e) {
    throw new Error(`${path}: not valid YAML: ${(e as Error).message}`, { cause: e });
  }
  const o = (doc ?? {}) as Record<string, unknown>;
  const accessKey = o.accessKey == null ? '' : String(o.accessKey).trim();
  const secretKey = o.secretKey == null ? '' : String(o.secretKey).trim();
  return accessKey && secretKey ? { accessKey, secretKey } : NONE;
}
