import type { Logger, LogSink } from '../logger.js';
import { announce } from '../log-file.js';
import type { HaTransport, PagePopulator, RemoteDispatcher } from '../../store/index.js';
import type { BrokerSettings } from './broker-config.js';
import { BrokerController } from './broker-controller.js';

/**
 * Process-level pieces shared by the broker entry (src/broker.ts) and the standalone entry
 * (src/standalone.ts): start and announce (signals: ../process-signals.ts).
 */

/** Starts a broker and prints RocketMQ's boot line (kept in the log file too) plus one `{"event":"broker-ready",...}` JSON line. */
export async function runBroker(
  settings: BrokerSettings,
  logger: Logger,
  threads: { remoteDispatcher?: RemoteDispatcher; pagePopulator?: PagePopulator; ha?: HaTransport; configFile?: string | null } = {},
  logFile: LogSink | null = null,
): Promise<BrokerController> {
  const controller = new BrokerController(settings, { logger, ...threads });
  await controller.start();
  const { broker } = settings;
  const ns = broker.namesrvAddr || '(none)';
  announce(`The broker[${broker.brokerName}, ${controller.brokerAddr}] boot success. serializeType=JSON and name server is ${ns}`, 'broker', logFile);
  process.stdout.write(
    `${JSON.stringify({
      event: 'broker-ready',
      brokerName: broker.brokerName,
      brokerAddr: controller.brokerAddr,
      listenPort: controller.port,
      vipPort: controller.vipPort,
      storePathRootDir: settings.store.storePathRootDir,
      namesrvAddr: broker.namesrvAddr,
    })}\n`,
  );
  return controller;
}
