/**
 * End-to-end benchmark (`npm run bench`), in the spirit of RocketMQ's benchmark Producer: client
 * producers send through a real NameServer and broker and we measure what the client sees.
 *
 * By default it starts a NameServer and a broker as child processes (temp store, free loopback
 * ports, ASYNC_FLUSH; `--sync-flush` for SYNC_FLUSH; `--slave` adds a slave and makes the broker a
 * SYNC_MASTER, so each send waits for replication); `-n ADDR` targets running ones instead.
 *
 *   --duration S (10)      measured seconds (after --warmup S, default 1); or
 *   --messages N           stop after N measured messages
 *   --size BYTES (1024)    body size
 *   --producers K (1)      producer clients (one connection each)
 *   --window W (1000)      sends in flight, in total over the producers
 *   --rate R               paced: R msgs/s (at most W in flight) instead of as fast as possible,
 *                          for latency at a given load (e.g. half the peak)
 *   --batch B (1)          messages per send; > 1 uses SEND_BATCH_MESSAGE
 *   --topic T (E2EBench)   created with --queues Q (8) queues
 *   --keys                 a key on every message (the send time), so the broker indexes each
 *   --profile-broker DIR   run the broker with --cpu-prof, profiles written to DIR
 *   --slow-ms T            also report the sends slower than T ms grouped into bursts by issue
 *                          time, and the median gap between bursts (see e2e-slow.ts)
 *   --acl                  the broker with aclEnable (an account in a temp rocketmqHome) and every
 *                          client signing its requests: what HmacSHA1 signing and checking cost
 *   --consume              also run push consumers (--consumers C, default 1) and report consume
 *                          TPS and end-to-end latency (send start to listener, from a timestamp in the body)
 *
 * RocketMQ's benchmark Producer options work too: -w THREADS (sends in flight), -s SIZE, -t TOPIC,
 * -k true|false (keys), -b BATCH, -q COUNT (messages; 0 = until --duration), -a true|false (ACL).
 *
 * Prints a progress line every second, a table at the end and one JSON line
 * `{"bench":"e2e-send","msgsPerSec":…,"avgMs":…,"p99Ms":…,"maxMs":…,"failures":…,"brokerRssAnonMB":…,"startToReadyMs":…}`.
 * The run is bounded: sending stops at the deadline, in-flight sends and consumption get at most 15 s more.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Message, MQAdmin, Producer, PushConsumer } from '../src/net/client/index.js';
import { silentLogger } from '../src/net/logger.js';
import { startLocalCluster, type LocalCluster } from '../src/tools/local-cluster.js';
import { LatencyHistogram } from './e2e-latency.js';
import { type Load, Phase, runLoad } from './e2e-load.js';
import { SlowSends, medianBurstGapMs } from './e2e-slow.js';
import { fromRocketmqOptions } from './rocketmq-options.js';
import { UsageError, argFlag, argNumber, argProps, argValue, printJson, printTable } from './report.js';

interface Args {
  namesrv: string | undefined;
  duration: number;
  messages: number | undefined;
  warmup: number;
  size: number;
  producers: number;
  window: number;
  batch: number;
  topic: string;
  queues: number;
  consume: boolean;
  consumers: number;
  syncFlush: boolean;
  slave: boolean;
  acl: boolean;
  profileBroker: string | undefined;
  rate: number | undefined;
  slowMs: number | undefined;
  /** Extra broker properties (`--broker-prop key=value`, repeatable). */
  brokerProps: Record<string, string>;
  keys: boolean;
}

const USAGE = `usage: npm run bench -- [-n ADDR] [--duration S | --messages N] [--warmup S] [--size BYTES]
       [--producers K] [--window W] [--batch B] [--rate R] [--topic T] [--queues Q] [--keys]
       [--consume [--consumers C]] [--sync-flush] [--slave] [--acl] [--profile-broker DIR] [--slow-ms T] [--broker-prop KEY=VALUE]...
Starts a NameServer and a broker (unless -n ADDR), sends for --duration seconds (default 10) and
prints a progress line per second, a table and one JSON result line. RocketMQ's benchmark options
-w THREADS -s SIZE -t TOPIC -k BOOL -b BATCH -q COUNT -a BOOL stand for --window, --size, --topic,
--keys, --batch, --messages and --acl.`;

const VALUED = new Set(['duration', 'messages', 'warmup', 'size', 'producers', 'window', 'batch', 'rate', 'topic', 'queues', 'consumers', 'profile-broker', 'namesrv', 'broker-prop', 'slow-ms']);
const FLAGS = new Set(['consume', 'sync-flush', 'slave', 'acl', 'keys']);

/** Unknown flags are errors: a typo must not silently run the default benchmark. */
function checkFlags(argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-n') {
      i++;
      continue;
    }
    const name = arg.replace(/^--/, '').split('=')[0]!;
    if (!arg.startsWith('--') || (!VALUED.has(name) && !FLAGS.has(name))) throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
    if (VALUED.has(name) && !arg.includes('=')) i++;
  }
}

function parseArgs(rawArgv: string[]): Args {
  if (rawArgv.includes('--help') || rawArgv.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const argv = fromRocketmqOptions(rawArgv, USAGE);
  checkFlags(argv);
  const n = argv.indexOf('-n');
  const size = argNumber(argv, 'size', 1024);
  const consume = argFlag(argv, 'consume');
  if (consume && size < 8) throw new Error('--consume needs --size >= 8 (the body carries the send time)');
  const messages = argValue(argv, 'messages');
  return {
    namesrv: n >= 0 ? argv[n + 1] : argValue(argv, 'namesrv'),
    duration: argNumber(argv, 'duration', 10),
    messages: messages === undefined ? undefined : argNumber(argv, 'messages', 1),
    warmup: argValue(argv, 'warmup') === '0' ? 0 : argNumber(argv, 'warmup', 1),
    size,
    producers: argNumber(argv, 'producers', 1),
    window: argNumber(argv, 'window', 1000),
    batch: argNumber(argv, 'batch', 1),
    topic: argValue(argv, 'topic') ?? 'E2EBench',
    queues: argNumber(argv, 'queues', 8),
    consume,
    consumers: argNumber(argv, 'consumers', 1),
    syncFlush: argFlag(argv, 'sync-flush'),
    slave: argFlag(argv, 'slave'),
    acl: argFlag(argv, 'acl'),
    profileBroker: argValue(argv, 'profile-broker'),
    rate: argValue(argv, 'rate') === undefined ? undefined : argNumber(argv, 'rate', 1),
    slowMs: argValue(argv, 'slow-ms') === undefined ? undefined : argNumber(argv, 'slow-ms', 1),
    brokerProps: argProps(argv, 'broker-prop'),
    keys: argFlag(argv, 'keys'),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The account --acl runs with: admin, so it may create the topic too. */
const BENCH_ACL = { accessKey: 'BenchUser', secretKey: 'bench-secret' };

/** A rocketmqHome whose conf/plain_acl.yml holds the bench account. */
function aclHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'bench-acl-'));
  mkdirSync(join(home, 'conf'));
  writeFileSync(join(home, 'conf', 'plain_acl.yml'), `accounts:\n  - accessKey: ${BENCH_ACL.accessKey}\n    secretKey: ${BENCH_ACL.secretKey}\n    admin: true\n`);
  return home;
}

async function createTopic(namesrvAddr: string, cluster: LocalCluster | null, a: Args): Promise<void> {
  const admin = new MQAdmin({ namesrvAddr, logger: silentLogger, ...(a.acl ? BENCH_ACL : {}) });
  await admin.start();
  try {
    const target = cluster ? { brokerAddr: cluster.brokerAddr } : { clusterName: [...(await admin.examineBrokerClusterInfo()).clusterAddrTable.keys()][0]! };
    await admin.createTopic(target, { topicName: a.topic, readQueueNums: a.queues, writeQueueNums: a.queues });
    const deadline = Date.now() + 15_000;
    while (!(await admin.examineTopicRouteInfo(a.topic).then((r) => r.queueDatas.length > 0, () => false))) {
      if (Date.now() > deadline) throw new Error(`topic ${a.topic} not routed by the NameServer after 15 s`);
      await sleep(20);
    }
  } finally {
    await admin.shutdown();
  }
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const cluster = a.namesrv
    ? null
    : await startLocalCluster({
        flushDiskType: a.syncFlush ? 'SYNC_FLUSH' : 'ASYNC_FLUSH',
        onLine: (who, line) => / (WARN|ERROR) /.test(line) && console.error(`[${who}] ${line}`),
        brokerNodeArgs: [...(process.env.BENCH_BROKER_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(a.profileBroker ? ['--cpu-prof', `--cpu-prof-dir=${a.profileBroker}`] : [])],
        brokerProps: { ...(a.slave ? { brokerRole: 'SYNC_MASTER' } : {}), ...(a.acl ? { aclEnable: 'true', rocketmqHome: aclHome() } : {}), ...a.brokerProps },
      });
  if (a.slave && cluster) await cluster.startSlave();
  const namesrvAddr = a.namesrv ?? cluster!.namesrvAddr;
  const producers: Producer[] = [];
  const consumers: PushConsumer[] = [];
  try {
    await createTopic(namesrvAddr, cluster, a);
    const e2e = new LatencyHistogram();
    let consumed = 0;
    let consumedAll = 0;
    let sentAll = 0;
    let consumedSecond = 0;
    let firstConsumeAt = 0;
    let lastConsumeAt = 0;
    for (let i = 0; i < (a.consume ? a.consumers : 0); i++) {
      const c = new PushConsumer({ consumerGroup: 'E2E_BENCH_CG', namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', pullThresholdForQueue: 4000, ...(a.acl ? BENCH_ACL : {}) });
      c.subscribe(a.topic, '*').registerMessageListener((msgs) => {
        const now = performance.timeOrigin + performance.now();
        if (firstConsumeAt === 0) firstConsumeAt = now;
        lastConsumeAt = now;
        for (const m of msgs) e2e.record(now - m.body.readDoubleBE(0));
        consumed += msgs.length;
        consumedAll += msgs.length;
        consumedSecond += msgs.length;
      });
      await c.start();
      consumers.push(c);
    }
    for (let i = 0; i < a.producers; i++) {
      const p = new Producer({ producerGroup: 'E2E_BENCH_PG', namesrvAddr, logger: silentLogger, maxInFlightSends: a.window, ...(a.acl ? BENCH_ACL : {}) });
      await p.start();
      producers.push(p);
    }

    const shared = randomBytes(a.size);
    const load: Load = {
      producers,
      window: a.window,
      batch: a.batch,
      rate: a.rate,
      makeMessage: () => {
        // As RocketMQ's benchmark with -k true: the send time as the key.
        const opts = a.keys ? { keys: [String(Date.now())] } : undefined;
        if (!a.consume) return new Message(a.topic, shared, opts);
        const body = Buffer.allocUnsafe(a.size);
        shared.copy(body);
        body.writeDoubleBE(performance.timeOrigin + performance.now(), 0);
        return new Message(a.topic, body, opts);
      },
      onStored: (n) => (sentAll += n),
    };

    if (a.warmup > 0) {
      const end = performance.now() + a.warmup * 1000;
      await runLoad(load, new Phase(), () => performance.now() >= end);
    }
    // Consumption is measured from here too: forget what the warm-up produced.
    e2e.reset();
    consumed = 0;
    firstConsumeAt = 0;
    const phase = new Phase();
    if (a.slowMs !== undefined) phase.slow = new SlowSends(a.slowMs);
    // The client's own stalls (GC, bursts of callbacks), to tell them apart from the broker's in the RTs.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const started = performance.now();
    const deadline = started + a.duration * 1000;
    let issuedStop = false;
    const until = (): boolean => issuedStop || (issuedStop = a.messages !== undefined ? phase.issued >= a.messages : performance.now() >= deadline);
    let tick = 0;
    const progress = setInterval(() => {
      tick++;
      const s = phase.second;
      let line = `[${String(tick).padStart(3)}s] Send TPS: ${phase.secondSent}  Average RT(ms): ${s.avgMs.toFixed(3)}  p99 RT(ms): ${s.percentileMs(99).toFixed(3)}  Max RT(ms): ${s.maxMs.toFixed(3)}  Send Failed: ${phase.failures}`;
      if (a.consume) line += `  Consume TPS: ${consumedSecond}`;
      console.log(line);
      s.reset();
      phase.secondSent = 0;
      consumedSecond = 0;
    }, 1000);
    await runLoad(load, phase, until);
    const elapsed = (performance.now() - started) / 1000;
    if (a.consume) {
      const wait = Date.now() + 15_000;
      while (consumedAll < sentAll && Date.now() < wait) await sleep(20);
    }
    clearInterval(progress);
    loopDelay.disable();
    const clientLoopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    if (phase.lastError) console.error(`last send error: ${phase.lastError}`);

    const msgsPerSec = phase.sent / elapsed;
    const row = {
      mode: a.batch > 1 ? `batch ${a.batch}` : 'single',
      flush: a.syncFlush ? 'SYNC_FLUSH' : 'ASYNC_FLUSH',
      sizeBytes: a.size,
      producers: a.producers,
      window: a.window,
      seconds: elapsed,
      messages: phase.sent,
      msgsPerSec,
      avgMs: phase.total.avgMs,
      p50Ms: phase.total.percentileMs(50),
      p99Ms: phase.total.percentileMs(99),
      maxMs: phase.total.maxMs,
      failures: phase.failures,
      notSendOk: phase.notSendOk,
      ...(a.slave ? { role: 'SYNC_MASTER + slave' } : {}),
      ...(a.acl ? { acl: true } : {}),
    };
    const consumeRow: Record<string, number> = a.consume
      ? {
          consumed,
          consumeMsgsPerSec: lastConsumeAt > firstConsumeAt ? consumed / ((lastConsumeAt - firstConsumeAt) / 1000) : 0,
          e2eP50Ms: e2e.percentileMs(50),
          e2eP99Ms: e2e.percentileMs(99),
          e2eMaxMs: e2e.maxMs,
        }
      : {};
    if (phase.slow) reportSlowSends(phase.slow, started);
    const brokerRssAnonMB = cluster?.brokerRssAnonMB() ?? null;
    printTable('End-to-end send', [{ ...row, rate: a.rate ?? 'max', clientLoopDelayP99Ms, ...consumeRow, brokerRssAnonMB: brokerRssAnonMB ?? 'n/a', startToReadyMs: cluster?.brokerStartToReadyMs ?? 'n/a' }]);
    printJson(
      {
        bench: 'e2e-send',
        msgsPerSec,
        avgMs: row.avgMs,
        p99Ms: row.p99Ms,
        maxMs: row.maxMs,
        failures: row.failures,
        notSendOk: row.notSendOk,
        slave: a.slave,
        acl: a.acl,
        brokerRssAnonMB,
        startToReadyMs: cluster?.brokerStartToReadyMs ?? null,
        messages: phase.sent,
        sizeBytes: a.size,
        producers: a.producers,
        window: a.window,
        batch: a.batch,
        keys: a.keys,
        rate: a.rate ?? null,
        flushDiskType: row.flush,
        // Runs with different broker settings (transientStorePoolEnable, say) must not be compared blindly.
        ...(Object.keys(a.brokerProps).length > 0 ? { brokerProps: Object.entries(a.brokerProps).map(([k, v]) => `${k}=${v}`).join(';') } : {}),
        clientLoopDelayP99Ms,
        ...consumeRow,
      },
      ['src', 'bench'],
    );
  } finally {
    for (const c of consumers) await c.shutdown().catch(() => undefined);
    for (const p of producers) await p.shutdown().catch(() => undefined);
    await cluster?.stop();
  }
}

/** The twenty biggest bursts in time order, then one JSON line. */
function reportSlowSends(slow: SlowSends, origin: number): void {
  const bursts = slow.bursts(origin);
  const biggest = [...bursts].sort((x, y) => y.sends - x.sends).slice(0, 20).sort((x, y) => x.atMs - y.atMs);
  printTable(`Slow sends (RT over ${slow.thresholdMs} ms) by issue time, biggest bursts`, biggest.map((b) => ({ ...b })));
  const slowSends = bursts.reduce((n, b) => n + b.sends, 0) + slow.dropped;
  printJson({ bench: 'e2e-slow-sends', thresholdMs: slow.thresholdMs, slowSends, bursts: bursts.length, medianGapMsOfBurstsOver20: medianBurstGapMs(bursts, 20) }, ['src', 'bench']);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof UsageError ? err.message : `bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
