/**
 * What a bench run measured, and the pure arithmetic that turns its clocks and counts into the reported numbers
 * (end to end, exactly once, each worker's share, freshness). Nothing here reads a service or a clock.
 */
import { quantile, type StageMs } from '../../src/core/profile';
import type { ProfileSummary } from './cpu-profile';
import type { ServiceCpuSeconds } from './meter';

export interface BenchRun extends RunContext {
  cores: number;
  /** The 1-minute load average at the run's start and end (the machine is shared). */
  loadStart: number;
  loadEnd: number;
  publishSeconds: number;
  /** From the end of publishing to the last order counted. */
  catchUpSeconds: number;
  /** From the start of publishing to the last order counted. */
  endToEndSeconds: number;
  ordersPerSecond: number;
  /** Exactly once: counted_orders rows, orders in sales_totals, raw orders in Cassandra's orders_by_id. */
  countedOrders: number;
  totalsOrders: number;
  cassandraOrders: number;
  exactlyOnce: boolean;
  consumerPeakRssMb: number;
  consumerCpuSeconds: number;
  /** CPU seconds each local service used during the run (every client's work, not only ours). */
  serviceCpuSeconds: ServiceCpuSeconds;
  /** Windows the flush worked on, and its commits (one every COMMIT_INTERVAL_MS or less in an open window). */
  windows: number;
  commits: number;
  /** The flush's milliseconds by stage, summed over the run's commits. */
  stageMs: StageMs;
  /** With `--cpu-prof`: where the (first) consumer process's main thread spent its CPU. */
  cpuProfile?: ProfileSummary;
  freshness?: Freshness;
  /** The workers run: the topic's partitions and each worker process's part. */
  partitions?: number;
  workers?: WorkerShare[];
}

/** A publish-only run: the worker's publishOrders alone, at max rate, into an empty topic. */
export interface PublishRun extends RunContext {
  kind: 'publish';
  loadStart: number;
  loadEnd: number;
  seconds: number;
  ordersPerSecond: number;
  /** Messages in the topic afterwards: every order once when it equals `orders`. */
  inTopic: number;
  publisherCpuSeconds: number;
  publisherPeakRssMb: number;
  serviceCpuSeconds: ServiceCpuSeconds;
}

/** What names a run, before it starts. */
export interface RunContext {
  name: string;
  /** temporal: the worker drives the activities; plain: bench-loop does, without Temporal. */
  driver: 'temporal' | 'plain';
  orders: number;
  windowSeconds: number;
}

/** One worker process of a workers run. */
export interface WorkerShare {
  pid: number;
  /** Records read by the window units this worker completed (stream_window_units.worker). */
  records: number;
  /** Its fraction of all the units' records. */
  share: number;
  cpuSeconds: number;
  peakRssMb: number;
}

export interface Freshness {
  rate: number;
  seconds: number;
  /** Orders/s actually published (the publisher is paced by the clock, on a shared machine). */
  achievedRate: number;
  /** Seconds from Kafka append time to the order's offset committed (its amount in sales_totals). */
  p50: number;
  p99: number;
  max: number;
  /** Seconds from a window's end to its completing commit (stream_windows.flushed_at − window_end). */
  windowCompleteP50: number;
  windowCompleteMax: number;
  windowsMeasured: number;
  pollMs: number;
}

/** A run's clocks (epoch ms): publishing started, publishing ended, every order counted. */
export interface RunTimes {
  started: number;
  published: number;
  done: number;
}

/** The orders in each sink after a run (-1: the count failed). */
export interface SinkCounts {
  countedOrders: number;
  totalsOrders: number;
  cassandraOrders: number;
}

/** The end-to-end numbers of a run: its phases in seconds, its rate, and whether every sink holds each order once. */
export function endToEnd(orders: number, times: RunTimes, counts: SinkCounts) {
  const seconds = (times.done - times.started) / 1000;
  return {
    publishSeconds: (times.published - times.started) / 1000,
    catchUpSeconds: (times.done - times.published) / 1000,
    endToEndSeconds: seconds,
    ordersPerSecond: Math.round(orders / seconds),
    exactlyOnce:
      counts.countedOrders === orders && counts.totalsOrders === orders && counts.cassandraOrders === orders,
  };
}

/**
 * Each worker process's part of a workers run: the records of the units it completed, found under the name a
 * worker commits them with (`<pid>@<host>`), and its fraction of all the units' records.
 */
export function workerShares(
  recordsByWorker: ReadonlyMap<string, number>,
  workers: ReadonlyArray<{ pid: number; cpuSeconds: number; peakRssMb: number }>,
  host: string,
): WorkerShare[] {
  const total = [...recordsByWorker.values()].reduce((n, r) => n + r, 0);
  return workers.map(({ pid, cpuSeconds, peakRssMb }) => {
    const records = recordsByWorker.get(`${pid}@${host}`) ?? 0;
    return { pid, records, share: total ? records / total : 0, cpuSeconds, peakRssMb };
  });
}

/** The checkpoint as the freshness run saw it change: when each set of committed next offsets was first read. */
export interface SeenCheckpoint {
  at: number;
  offsets: Record<string, string>;
}

/**
 * For one partition's records in offset order: the seconds from a record's append time to the first checkpoint
 * seen whose next offset is past it (undefined: never seen counted). One cursor walks the history once.
 */
export function commitLatency(
  seen: readonly SeenCheckpoint[],
  partition: number,
): (record: { offset: string; timestampMs: number }) => number | undefined {
  let i = 0;
  return (record) => {
    while (i < seen.length && BigInt(seen[i].offsets[String(partition)] ?? '0') <= BigInt(record.offset)) i++;
    return i < seen.length ? (seen[i].at - record.timestampMs) / 1000 : undefined;
  };
}

/**
 * Seconds from each window's end to its completing commit, over the windows wholly inside the steady traffic
 * (the first and last are partly idle).
 */
export function windowCompleteSeconds(
  windows: ReadonlyArray<{ windowEnd: Date; flushedAt: Date }>,
  windowSeconds: number,
  traffic: { started: number; published: number },
): number[] {
  return windows
    .filter(
      (w) =>
        w.windowEnd.getTime() - windowSeconds * 1000 >= traffic.started &&
        w.windowEnd.getTime() <= traffic.published,
    )
    .map((w) => (w.flushedAt.getTime() - w.windowEnd.getTime()) / 1000);
}

/** The freshness run's numbers from its latencies and window completion times. */
export function freshnessOf(
  steady: { rate: number; seconds: number; messages: number; pollMs: number },
  times: { started: number; published: number },
  latencies: number[],
  complete: number[],
): Freshness {
  return {
    rate: steady.rate,
    seconds: steady.seconds,
    achievedRate: Math.round(steady.messages / ((times.published - times.started) / 1000)),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: quantile(latencies, 1),
    windowCompleteP50: quantile(complete, 0.5),
    windowCompleteMax: quantile(complete, 1),
    windowsMeasured: complete.length,
    pollMs: steady.pollMs,
  };
}
