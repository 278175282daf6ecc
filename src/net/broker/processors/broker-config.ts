import { parsePropertiesText } from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import { stringifyFastjson } from '../../fastjson.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { BrokerConfigError, allConfigsText } from '../broker-config.js';
import { updateBrokerConfig } from '../config-update.js';
import { guarded, success, type ProcessorTable } from './processor-support.js';

export interface BrokerConfigOptions {
  /** The `-c FILE` the broker was started with: updates are written there (none: memory only). */
  configFile: string | null;
  /** After an update, with the keys it changed (brokerPermission makes the broker re-register). */
  onUpdated(keys: string[]): void;
}

/**
 * GET_BROKER_CONFIG (26): every setting in effect, as properties text, with a data version; and
 * UPDATE_BROKER_CONFIG (25, mqadmin updateBrokerConfig): new values as properties text. Each
 * update bumps the version, as RocketMQ's Configuration does.
 */
export function brokerConfigProcessors(ctx: BrokerContext, o: BrokerConfigOptions): ProcessorTable {
  const version = { counter: 0, timestamp: ctx.stats.bootTimestamp };
  return [
    [RequestCode.GET_BROKER_CONFIG, guarded(ctx.logger, 'broker config', (req) =>
      success(req, { version: stringifyFastjson(version) }, Buffer.from(allConfigsText(ctx.config, ctx.storeConfig), 'utf8')))],
    [RequestCode.UPDATE_BROKER_CONFIG, guarded(ctx.logger, 'update broker config', async (req, conn) => {
      const props = parsePropertiesText((req.body ?? Buffer.alloc(0)).toString('utf8'));
      if (props.size === 0) throw new BrokerError(ResponseCode.SYSTEM_ERROR, 'update broker config: no key=value in the request body');
      let r;
      try {
        r = await updateBrokerConfig({ broker: ctx.config, store: ctx.storeConfig }, props, o.configFile);
      } catch (e) {
        if (e instanceof BrokerConfigError) throw new BrokerError(ResponseCode.SYSTEM_ERROR, e.message, { cause: e });
        throw e;
      }
      version.counter++;
      version.timestamp = Date.now();
      const where = o.configFile ? `written to ${o.configFile}` : 'not persisted (no config file)';
      ctx.logger.info(`broker config updated by ${conn.remoteAddress}: in effect now: ${r.live.join(', ') || 'none'}; after a restart: ${r.atRestart.join(', ') || 'none'}; ${where}`);
      o.onUpdated([...r.live, ...r.atRestart]);
      return success(req);
    })],
  ];
}
