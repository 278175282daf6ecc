/**
 * `--slow-ms T` of the end-to-end benchmark: which sends took longer than T ms, grouped by when
 * they were issued. A tail made of queueing spreads slow sends evenly; a tail made of stalls shows
 * as bursts, and the gaps between bursts name the culprit's period (every 500 ms: the commit log
 * flush; every 1 s: consume queue and index flushes; every 8 MiB of appends: page-cache
 * read-ahead). Fixed memory: the first `cap` slow sends are kept, the rest only counted.
 */
export interface SlowBurst {
  /** Issue time of the burst's first slow send, ms after the measured phase started. */
  atMs: number;
  sends: number;
  spanMs: number;
  maxRtMs: number;
}

/** Slow sends issued less than this apart belong to one burst. */
const BURST_GAP_MS = 3;

export class SlowSends {
  readonly thresholdMs: number;
  private readonly issuedAt: Float64Array;
  private readonly rts: Float64Array;
  private n = 0;
  dropped = 0;

  constructor(thresholdMs: number, cap = 200_000) {
    this.thresholdMs = thresholdMs;
    this.issuedAt = new Float64Array(cap);
    this.rts = new Float64Array(cap);
  }

  record(issuedAt: number, rtMs: number): void {
    if (rtMs <= this.thresholdMs) return;
    if (this.n === this.rts.length) {
      this.dropped++;
      return;
    }
    this.issuedAt[this.n] = issuedAt;
    this.rts[this.n++] = rtMs;
  }

  /** Bursts in issue order; `origin` is the phase's start (performance.now()). */
  bursts(origin: number): SlowBurst[] {
    const order = Array.from({ length: this.n }, (_, i) => i).sort((x, y) => this.issuedAt[x]! - this.issuedAt[y]!);
    const out: SlowBurst[] = [];
    let last = -Infinity;
    for (const i of order) {
      const t = this.issuedAt[i]! - origin;
      const b = out.at(-1);
      if (b && t - last < BURST_GAP_MS) {
        b.sends++;
        b.spanMs = t - b.atMs;
        b.maxRtMs = Math.max(b.maxRtMs, this.rts[i]!);
      } else {
        out.push({ atMs: t, sends: 1, spanMs: 0, maxRtMs: this.rts[i]! });
      }
      last = t;
    }
    return out;
  }
}

/** Median gap between the starts of the bursts holding at least `minSends` slow sends (0 if fewer than two). */
export function medianBurstGapMs(bursts: readonly SlowBurst[], minSends: number): number {
  const starts = bursts.filter((b) => b.sends >= minSends).map((b) => b.atMs);
  const gaps = starts.slice(1).map((t, i) => t - starts[i]!).sort((a, b) => a - b);
  return gaps.length === 0 ? 0 : gaps[Math.floor(gaps.length / 2)]!;
}
