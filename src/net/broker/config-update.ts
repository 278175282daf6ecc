import { readFileSync } from 'node:fs';
import { parsePropertiesText, rewritePropertiesFile } from '../../store/index.js';
import type { BrokerSettings } from './broker-config.js';
import { BrokerConfigError, brokerSettings, checkSettings, parseConfigUpdate } from './broker-config.js';

/**
 * Settings that UPDATE_BROKER_CONFIG changes in the running broker: each is read where it is used,
 * on every request or pass, so a new value holds from the next one. Every other key is written to
 * the config file and holds from the next start (RocketMQ sets them all in memory, where most are
 * only read at start too; here the answer is honest about which is which).
 */
const LIVE_KEYS: ReadonlySet<string> = new Set([
  'brokerPermission',
  'autoCreateTopicEnable',
  'slaveReadEnable',
  'rejectTransactionMessage',
  'storeReplyMessageEnable',
  'transactionTimeOut',
  'transactionCheckMax',
  'defaultQueryMaxNum',
  'regionId',
  'traceOn',
  'clientChannelExpiredTime',
  'fileReservedTime',
  'deleteWhen',
  'diskMaxUsedSpaceRatio',
  'accessMessageInMemoryMaxRatio',
  'maxTransferBytesOnMessageInMemory',
  'maxTransferCountOnMessageInMemory',
  'maxTransferBytesOnMessageInDisk',
  'maxTransferCountOnMessageInDisk',
  'slaveTimeout',
  'haSlaveFallbehindMax',
]);

export interface ConfigUpdateResult {
  /** In effect now. */
  live: string[];
  /** Written to the config file; in effect after a restart (or nowhere, without a file). */
  atRestart: string[];
}

/**
 * Validates every pair before changing anything (one bad value refuses the whole update), applies
 * the live ones to the running settings, and rewrites their lines in `configFile` (or appends
 * them), keeping the file's comments and order. Without a config file nothing is persisted.
 */
export async function updateBrokerConfig(settings: BrokerSettings, props: Map<string, string>, configFile: string | null): Promise<ConfigUpdateResult> {
  for (const [k, v] of props) {
    // A line break would write a second key into the file behind the validation's back.
    if (/[\r\n]/.test(v)) throw new BrokerConfigError(`config key "${k}": a value cannot span lines`);
  }
  const parsed = parseConfigUpdate(props);
  // What it writes to the file must start again: checked against the file it leaves, read as a
  // start reads it (a master's running brokerId is 0 whatever its file says, so a role change to
  // SLAVE is valid when the file has a brokerId for it); without a file, against the running settings.
  if (configFile) checkFileAfter(configFile, props);
  else checkSettings({ ...settings.broker, ...parsed.broker }, { ...settings.store, ...parsed.store });
  const result: ConfigUpdateResult = { live: [], atRestart: [] };
  for (const [target, values] of [[settings.broker, parsed.broker], [settings.store, parsed.store]] as const) {
    for (const [k, v] of Object.entries(values)) {
      if (LIVE_KEYS.has(k)) {
        (target as Record<string, unknown>)[k] = v;
        result.live.push(k);
      } else result.atRestart.push(k);
    }
  }
  if (configFile) await rewritePropertiesFile(configFile, props);
  return result;
}

function checkFileAfter(configFile: string, props: Map<string, string>): void {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new BrokerConfigError(`cannot read config file ${configFile}: ${(e as Error).message}`, { cause: e });
    text = '';
  }
  brokerSettings(new Map([...parsePropertiesText(text), ...props]));
}
