import { rewritePropertiesFile } from '../../store/index.js';
import { parsePropertiesText } from '../../store/properties-file.js';
import { namesrvConfig, type NamesrvConfig } from './namesrv-config.js';

/**
 * UPDATE_NAMESRV_CONFIG and GET_NAMESRV_CONFIG (318/319, `mqadmin updateNamesrvConfig` and
 * `getNamesrvConfig`): the settings in effect as properties text, and validated updates written
 * to the `-c` file in place. Keys read where they are used change at once; the rest from the next
 * start. The paths the NameServer writes are refused (RocketMQ's config black list): an update
 * could otherwise point them at any file.
 */
const LIVE_KEYS: ReadonlySet<string> = new Set(['orderMessageEnable', 'brokerChannelExpiredTime']);
const BLACK_LIST: ReadonlySet<string> = new Set(['configBlackList', 'configStorePath', 'kvConfigPath']);

export class NamesrvConfigError extends Error {}

export function namesrvConfigText(cfg: NamesrvConfig): string {
  return Object.entries(cfg).map(([k, v]) => `${k}=${String(v)}\n`).join('');
}

/** Applies `body` (properties text) to `cfg`; throws NamesrvConfigError naming a bad key or value, changing nothing. */
export async function updateNamesrvConfig(cfg: NamesrvConfig, body: string, configFile: string | null): Promise<{ live: string[]; atRestart: string[] }> {
  const props = parsePropertiesText(body);
  if (props.size === 0) throw new NamesrvConfigError('update name server config: no key=value in the request body');
  for (const [k, v] of props) {
    if (BLACK_LIST.has(k)) throw new NamesrvConfigError(`Can not update config in black list: ${k}`);
    if (/[\r\n]/.test(v)) throw new NamesrvConfigError(`config key "${k}": a value cannot span lines`);
  }
  const unknown: string[] = [];
  let checked: NamesrvConfig;
  try {
    checked = namesrvConfig(props, (msg) => unknown.push(msg));
  } catch (e) {
    throw new NamesrvConfigError((e as Error).message);
  }
  if (unknown.length > 0) throw new NamesrvConfigError(unknown.map((m) => m.replace(/ ignored$/, '')).join('; '));
  const result = { live: [] as string[], atRestart: [] as string[] };
  for (const k of props.keys()) {
    if (!(k in cfg)) continue;
    if (LIVE_KEYS.has(k)) {
      (cfg as Record<string, unknown>)[k] = (checked as Record<string, unknown>)[k];
      result.live.push(k);
    } else result.atRestart.push(k);
  }
  if (configFile) await rewritePropertiesFile(configFile, props);
  return result;
}
