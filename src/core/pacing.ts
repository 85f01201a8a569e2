/**
 * Replay pacing, pure: how long to wait before publishing the next order.
 * - rate N: N orders per second, evenly spaced;
 * - speedup N: the gaps between consecutive Created At values in file order, N times faster (a gap backwards in
 *   time counts as zero; sort the file by Created At for the shop's true timeline);
 * - max: no waiting.
 */
export interface PaceOptions {
  rate?: number;
  speedup?: number;
  max?: boolean;
}

/** Gaps longer than this are capped, so one odd timestamp cannot stall a replay for days. */
const MAX_GAP_MS = 60_000;

export class Pacer {
  private dueAt: number | null = null;
  private lastCreatedMs: number | null = null;

  constructor(
    private readonly opts: PaceOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before publishing this order (0 = now). */
  delayFor(order: { createdAt: string }): number {
    if (this.opts.max) return 0;
    const gap = this.gapBefore(order);
    const now = this.now();
    if (this.dueAt === null) {
      this.dueAt = now;
      return 0;
    }
    // Due times advance from the previous due time, not from now, so the average pace holds despite timer
    // jitter; after a stall it catches up by at most one second's burst.
    this.dueAt = Math.max(this.dueAt + gap, now - 1000);
    return Math.max(0, this.dueAt - now);
  }

  private gapBefore(order: { createdAt: string }): number {
    if (!this.opts.speedup) return 1000 / (this.opts.rate ?? 1);
    const created = Date.parse(order.createdAt);
    if (!Number.isFinite(created)) return 0;
    const previous = this.lastCreatedMs;
    this.lastCreatedMs = created;
    return previous === null ? 0 : Math.min(MAX_GAP_MS, Math.max(0, created - previous) / this.opts.speedup);
  }
}
