import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This installation's root (the directory holding `conf/` and `bin/`): dist/src/net -> three up. */
export const INSTALL_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * RocketMQ's home directory (`rocketmq.home.dir` / ROCKETMQ_HOME in Java): where `conf/plain_acl.yml`,
 * `conf/acl/` and `conf/tools.yml` are looked for. A configured value wins, then the environment,
 * then this installation, so a fresh clone finds its own `conf/`.
 */
export function rocketmqHome(configured = ''): string {
  return configured || process.env.ROCKETMQ_HOME || INSTALL_DIR;
}
