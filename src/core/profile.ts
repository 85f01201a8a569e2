/**
 * Where a flush's time goes, pure: a stage clock the stream activity marks between its stages, and the
 * percentiles the benchmark reports. Nothing here reads a service.
 */

/**
 * The flush's stages, in the order a part runs them (the benchmark prints them in this order): the Kafka read,
 * decode and plan (validate, de-duplicate, join, aggregate: CPU only), the MySQL look-ups the plan needs (orders
 * already counted, the customers' version), the raw orders to Cassandra, dead letters, the one-transaction
 * commit, and the open window's waits for more records.
 */
export const FLUSH_STAGES = ['kafkaRead', 'plan', 'lookup', 'cassandra', 'dlq', 'commit', 'wait'] as const;
export type FlushStage = (typeof FLUSH_STAGES)[number];

/** Milliseconds per stage, added up over the parts of one window (or the windows of a run). */
export type StageMs = Record<FlushStage, number>;

export const emptyStageMs = (): StageMs => ({
  kafkaRead: 0,
  plan: 0,
  lookup: 0,
  cassandra: 0,
  dlq: 0,
  commit: 0,
  wait: 0,
});

export function addStageMs(into: StageMs, more: Partial<StageMs>): StageMs {
  for (const s of FLUSH_STAGES) into[s] += more[s] ?? 0;
  return into;
}

/**
 * Charges the time since the last mark to a stage: `mark('kafkaRead')` right after the read, and so on, so the
 * flush keeps its shape and only gains one line per stage.
 */
export class StageClock {
  private last: number;

  constructor(
    private ms: StageMs = emptyStageMs(),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  /** The milliseconds charged since the last take (or the start), starting afresh. */
  take(): StageMs {
    const ms = this.ms;
    this.ms = emptyStageMs();
    return ms;
  }

  mark(stage: FlushStage): void {
    const t = this.now();
    this.ms[stage] += t - this.last;
    this.last = t;
  }

  /** Starts the next stage from now, charging the time since the last mark to none (a test's fault pause). */
  restart(): void {
    this.last = this.now();
  }
}

/** The q-quantile (0..1) of the values by the nearest-rank method; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The log line a profiled flush prints per commit (SALESFLOW_PROFILE=1); the benchmark parses it. */
export const PROFILE_PREFIX = 'salesflow-profile ';

export interface CommitProfile {
  windowStartMs: number;
  /** Records read by this commit's part. */
  records: number;
  /** This commit completed the window. */
  complete: boolean;
  /** Since the window's previous commit (or its activity's start). */
  ms: StageMs;
}

export function profileLine(p: CommitProfile): string {
  const ms = Object.fromEntries(FLUSH_STAGES.map((s) => [s, Math.round(p.ms[s])]));
  return `${PROFILE_PREFIX}${JSON.stringify({ windowStartMs: p.windowStartMs, records: p.records, complete: p.complete, ms })}`;
}

/** The profile in one output line, or null for any other line. */
export function parseProfileLine(line: string): CommitProfile | null {
  const i = line.indexOf(PROFILE_PREFIX);
  if (i < 0) return null;
  try {
    const p = JSON.parse(line.slice(i + PROFILE_PREFIX.length)) as CommitProfile;
    return { ...p, ms: addStageMs(emptyStageMs(), p.ms) };
  } catch {
    return null;
  }
}
