import { startLocalCluster, type LocalCluster, type LocalClusterOptions } from '../../src/tools/local-cluster.js';
import { silentLogger } from '../../src/net/logger.js';
import { MQAdmin } from '../../src/net/client/index.js';

export type { LocalCluster };
export { silentLogger };

/**
 * A NameServer and a broker as child processes (see src/tools/local-cluster.ts), sized for tests:
 * small segment and index files, and every delay level 1 s so redeliveries come quickly.
 */
export const TEST_BROKER_PROPS = {
  mappedFileSizeCommitLog: 16 * 1024 * 1024,
  mappedFileSizeConsumeQueue: 60_000,
  maxHashSlotNum: 1024,
  maxIndexNum: 8192,
  messageDelayLevel: Array(18).fill('1s').join(' '),
};

export function startTestCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  return startLocalCluster({ ...opts, brokerProps: { ...TEST_BROKER_PROPS, ...opts.brokerProps } });
}

/** Creates a topic on the cluster's broker and waits until the NameServer routes it. */
export async function createTopic(cluster: LocalCluster, topic: string, queues = 4): Promise<void> {
  const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
  await admin.start();
  try {
    await admin.createTopic({ brokerAddr: cluster.brokerAddr }, { topicName: topic, readQueueNums: queues, writeQueueNums: queues });
    await pollUntil(async () => (await admin.examineTopicRouteInfo(topic).catch(() => null))?.queueDatas[0]?.writeQueueNums === queues, 10_000, `route of ${topic}`);
  } finally {
    await admin.shutdown();
  }
}

/** Polls `cond` every 10 ms until it holds, failing after `timeoutMs`. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
