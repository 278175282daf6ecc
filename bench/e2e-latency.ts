/**
 * A fixed-memory latency histogram for the end-to-end benchmark: 10 µs buckets up to 100 ms, then
 * 1 ms buckets up to 60 s (beyond that the last bucket). Recording is an array increment, so it
 * can sit on the send completion path of 100k+ sends per second; percentiles are read from the
 * buckets (upper bound of the bucket holding the rank), exact count, sum and max are kept aside.
 */
const FINE_US = 10;
const FINE_BUCKETS = 10_000; // up to 100 ms
const COARSE_US = 1000;
const COARSE_BUCKETS = 59_900; // up to 60 s

export class LatencyHistogram {
  private readonly counts = new Uint32Array(FINE_BUCKETS + COARSE_BUCKETS);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const us = ms * 1000;
    const i = us < FINE_BUCKETS * FINE_US ? Math.floor(us / FINE_US) : Math.min(FINE_BUCKETS + Math.floor((us - FINE_BUCKETS * FINE_US) / COARSE_US), this.counts.length - 1);
    this.counts[i]!++;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  get avgMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }

  /** p in 0..100; 0 when empty. */
  percentileMs(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const upperUs = i < FINE_BUCKETS ? (i + 1) * FINE_US : FINE_BUCKETS * FINE_US + (i - FINE_BUCKETS + 1) * COARSE_US;
        return Math.min(upperUs / 1000, this.maxMs);
      }
    }
    return this.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }
}
