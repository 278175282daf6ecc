import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { consoleLogger } from '../net/logger.js';
import { UsageError, formatHelp, parseOptions, str, type OptionSpec } from './cli-args.js';
import type { SubCommand } from './sub-command.js';
import { clusterList, consumerProgress, deleteExpiredCommitLog, deleteTopic, topicClusterList, topicList, topicRoute, topicStatus, updateTopic, updateTopicPerm } from './topic-commands.js';
import { deleteKvConfig, getNamesrvConfig, updateKvConfig, updateNamesrvConfig, updateOrderConf } from './namesrv-commands.js';
import { resetOffsetByTime, skipAccumulatedMessage } from './offset-commands.js';
import { consumeMessage, queryMsgById, queryMsgByKey, queryMsgByOffset, queryMsgByUniqueKey, sendMessage } from './message-commands.js';
import { brokerConsumeStats, brokerStatus, getBrokerConfig, updateBrokerConfig } from './broker-commands.js';
import { addWritePerm, cleanExpiredCQ, cleanUnusedTopic, cloneGroupOffset, getConsumerStatus, queryCq, wipeWritePerm } from './maintenance-commands.js';
import { consumerConnection, producerConnection } from './connection-commands.js';
import { statsAll } from './stats-commands.js';
import { deleteSubGroup, updateSubGroup } from './group-commands.js';
import { toolsCredentials } from './tools-credentials.js';
import { exportConfigs, exportMetadata, exportMetrics, getConsumerConfig } from './export-commands.js';
import { startMonitoring } from './monitor-command.js';
import { consumerStatus } from './consumer-status.js';
import { queryMsgTraceById } from './trace-commands.js';
import { allocateMQ, checkMsgSendRT, clusterRT, printMsg, printMsgByQueue, sendMsgStatus } from './probe-commands.js';
import { clusterAclConfigVersion, deleteAccessConfig, getAclConfig, updateAclConfig, updateGlobalWhiteAddr } from './acl-commands.js';

/**
 * `mqadmin <command> [options]` (MQAdminStartup): RocketMQ's admin tool, same subcommand names,
 * flags and output formats. `-n` (or env NAMESRV_ADDR) names the NameServers. An unknown command
 * or a bad or missing option prints the usage and exits 1; a failed command prints the error and
 * exits 1.
 */
export const COMMANDS: readonly SubCommand[] = [
  clusterList,
  brokerStatus,
  brokerConsumeStats,
  getBrokerConfig,
  updateBrokerConfig,
  wipeWritePerm,
  addWritePerm,
  topicList,
  updateTopic,
  updateTopicPerm,
  deleteTopic,
  deleteExpiredCommitLog,
  cleanExpiredCQ,
  cleanUnusedTopic,
  topicRoute,
  topicStatus,
  topicClusterList,
  consumerProgress,
  consumerConnection,
  consumerStatus,
  getConsumerStatus,
  getConsumerConfig,
  cloneGroupOffset,
  queryCq,
  producerConnection,
  statsAll,
  resetOffsetByTime,
  skipAccumulatedMessage,
  updateSubGroup,
  deleteSubGroup,
  updateKvConfig,
  deleteKvConfig,
  updateOrderConf,
  getNamesrvConfig,
  updateNamesrvConfig,
  queryMsgById,
  queryMsgByKey,
  queryMsgByUniqueKey,
  queryMsgByOffset,
  queryMsgTraceById,
  sendMessage,
  consumeMessage,
  printMsg,
  printMsgByQueue,
  sendMsgStatus,
  checkMsgSendRT,
  clusterRT,
  startMonitoring,
  allocateMQ,
  updateAclConfig,
  deleteAccessConfig,
  updateGlobalWhiteAddr,
  clusterAclConfigVersion,
  getAclConfig,
  exportMetadata,
  exportConfigs,
  exportMetrics,
];

const COMMON: OptionSpec[] = [
  { short: 'h', long: 'help', hasArg: false, desc: 'Print help' },
  { short: 'n', long: 'namesrvAddr', hasArg: true, desc: 'Name server address list, eg: 192.168.0.1:9876;192.168.0.2:9876' },
];

function findCommand(name: string | undefined): SubCommand | undefined {
  return COMMANDS.find((c) => c.name === name || (name !== undefined && c.aliases?.includes(name)));
}

function mainUsage(): string {
  const lines = ['The most commonly used mqadmin commands are:'];
  // MQAdminStartup.printHelp: "   %-20s %s".
  for (const c of COMMANDS) lines.push(`   ${c.name.padEnd(20)} ${c.desc}`);
  lines.push('', 'See \'mqadmin help <command>\' for more information on a specific command.');
  return lines.join('\n') + '\n';
}

export async function main(
  argv: readonly string[],
  out: (s: string) => void = (s) => void process.stdout.write(s),
  err: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    err(mainUsage());
    return name === undefined ? 1 : 0;
  }
  if (name === 'help') {
    const cmd = findCommand(rest[0]);
    if (!cmd) {
      err(mainUsage());
      return 1;
    }
    out(formatHelp(cmd.name, [...COMMON, ...cmd.options]));
    return 0;
  }
  const cmd = findCommand(name);
  if (!cmd) {
    err(`The command ${name} not exist\n${mainUsage()}`);
    return 1;
  }
  const specs = [...COMMON, ...cmd.options];
  const logger = consoleLogger('mqadmin', (process.env.ROCKETMQ_TS_LOG_LEVEL as 'warn' | undefined) ?? 'warn');
  try {
    const opts = parseOptions(rest, specs);
    if (opts.has('h')) {
      out(formatHelp(cmd.name, specs));
      return 0;
    }
    const namesrvAddr = str(opts, 'n') ?? process.env.NAMESRV_ADDR ?? '';
    if (!namesrvAddr) throw new UsageError('no NameServer address: use -n <addr> or set NAMESRV_ADDR');
    const tls = { useTLS: process.env.TLS_ENABLE === 'true', tlsConfigFile: process.env.TLS_CONFIG_FILE ?? '' };
    await cmd.run({ opts, namesrvAddr, out, logger, credentials: { ...toolsCredentials(), ...tls } });
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n${formatHelp(cmd.name, specs)}`);
      return 1;
    }
    const cause = (e as Error).cause instanceof Error ? ` (caused by: ${((e as Error).cause as Error).message})` : '';
    err(`${cmd.name} command failed: ${(e as Error).message}${cause}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

// Run when executed as a program (bin/mqadmin), not when imported by tests.
if (isEntryPoint()) {
  // A reader that stops early (`mqadmin brokerStatus ... | head`) closes the pipe: stop quietly,
  // as the Java tool does, instead of dying on an unhandled EPIPE with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.stderr.write(`mqadmin: cannot write the output: ${e.message}\n`);
    process.exit(e.code === 'EPIPE' ? 0 : 1);
  });
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
