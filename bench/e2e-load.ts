import { performance } from 'node:perf_hooks';
import type { Message, Producer } from '../src/net/client/index.js';
import { LatencyHistogram } from './e2e-latency.js';
import type { SlowSends } from './e2e-slow.js';

/**
 * The load generator of the end-to-end benchmark. Two shapes:
 *  - closed loop: `window` sends always in flight (each completion issues the next), which finds
 *    the peak rate, like RocketMQ's benchmark threads doing synchronous sends;
 *  - paced (open loop): sends issued at a fixed rate (checked every millisecond), at most `window`
 *    in flight, for latency at a given load (e.g. half the peak).
 * Round trip times go to the phase's histograms; messages count once stored (SEND_OK or the other
 * "stored" statuses), failures count per send.
 */
export class Phase {
  readonly total = new LatencyHistogram();
  readonly second = new LatencyHistogram();
  issued = 0;
  sent = 0;
  failures = 0;
  /** Stored, but answered with another status than SEND_OK (SLAVE_NOT_AVAILABLE, FLUSH_*_TIMEOUT). */
  notSendOk = 0;
  secondSent = 0;
  lastError = '';
  /** With --slow-ms: the sends slower than that, by issue time. */
  slow: SlowSends | null = null;
}

export interface Load {
  producers: readonly Producer[];
  window: number;
  batch: number;
  /** Messages per second for the paced shape; undefined = closed loop. */
  rate: number | undefined;
  makeMessage(): Message;
  /** Called with the number of messages each successful send stored. */
  onStored(n: number): void;
}

function sendOne(load: Load, phase: Phase, p: Producer, done: () => void): void {
  phase.issued += load.batch;
  const t0 = performance.now();
  const finish = (err: unknown): void => {
    const rt = performance.now() - t0;
    phase.total.record(rt);
    phase.second.record(rt);
    phase.slow?.record(t0, rt);
    if (err === undefined) {
      phase.sent += load.batch;
      phase.secondSent += load.batch;
      load.onStored(load.batch);
    } else {
      phase.failures++;
      phase.lastError = (err as Error)?.message ?? String(err);
    }
    done();
  };
  const sending = load.batch > 1 ? p.sendBatch(Array.from({ length: load.batch }, () => load.makeMessage())) : p.send(load.makeMessage());
  sending.then((r) => {
    if (r.sendStatus !== 'SEND_OK') phase.notSendOk++;
    finish(undefined);
  }, (err: unknown) => finish(err ?? new Error('send failed')));
}

/** Runs until `until()` turns true, then waits for the sends in flight. */
export function runLoad(load: Load, phase: Phase, until: () => boolean): Promise<void> {
  return load.rate === undefined ? closedLoop(load, phase, until) : paced(load, phase, until, load.rate);
}

function closedLoop(load: Load, phase: Phase, until: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    let active = 0;
    const slot = (p: Producer): void => {
      if (until()) {
        if (--active === 0) resolve();
        return;
      }
      sendOne(load, phase, p, () => slot(p));
    };
    for (let i = 0; i < load.window; i++) {
      active++;
      slot(load.producers[i % load.producers.length]!);
    }
  });
}

function paced(load: Load, phase: Phase, until: () => boolean, rate: number): Promise<void> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let issued = 0;
    let inFlight = 0;
    let stopped = false;
    let next = 0;
    const done = (): void => {
      inFlight--;
      if (stopped && inFlight === 0) resolve();
    };
    const timer = setInterval(() => {
      if (until()) {
        stopped = true;
        clearInterval(timer);
        if (inFlight === 0) resolve();
        return;
      }
      // Sends (not messages) due by now; a full window skips them rather than queueing a burst.
      const due = Math.floor((((performance.now() - t0) / 1000) * rate) / load.batch) - issued;
      for (let i = 0; i < due; i++) {
        issued++;
        if (inFlight >= load.window) continue;
        inFlight++;
        sendOne(load, phase, load.producers[next++ % load.producers.length]!, done);
      }
    }, 1);
  });
}
