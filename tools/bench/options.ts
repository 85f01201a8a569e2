/**
 * `salesflow bench`'s flags: the help text, and parsing them into the runs to make and their sizes. Pure: a bad
 * flag is a usage error naming it.
 */
import { numberFlag, type Parsed } from '../../src/args';
import { UsageError } from '../../src/errors';

export const BENCH_HELP = `Usage: salesflow bench [--orders N] [--rate N] [--freshness-seconds N] [--runs LIST]
                       [--window-seconds N] [--json]

Measures, on the running stack (salesflow stack up), in throw-away pipelines, each run with cores and load:
  latency      data/orders.csv at max rate: seconds from the end of publishing to every order counted
  throughput   N generated orders at max rate, end to end, exactly once in both sinks; through Temporal and
               through a plain loop of the same activities without Temporal (Temporal's share)
  freshness    a steady rate: p50/p99 seconds from an order's Kafka append time to its amount in sales_totals,
               and window rows complete after the window's end
  workers      N generated orders on a topic of --partitions partitions, consumed by each of --workers worker
               process counts: orders/s, each worker's share of the work, CPU per order of each process
  every run    the consumer's peak RSS and CPU, the services' CPU, where the flush's time went by stage

Options:
  --orders N             orders in the throughput runs (default 100000)
  --rate N               orders/s of the freshness run (default 2000)
  --freshness-seconds N  length of the freshness run (default 60)
  --runs LIST            which runs, comma-separated (default latency,publish,throughput,plain,freshness,
                         workers)
  --workers LIST         worker process counts of the workers run (default 1,2,3)
  --partitions N         partitions of the workers run's topic (default 4)
  --window-seconds N     window length (default WINDOW_SECONDS, 15)
  --json                 print the results as JSON
  --cpu-prof             profile the consumer processes (node --cpu-prof): where their CPU went
  --cassandra            instead: Cassandra's write rates from Node (salesflow bench --cassandra --help)`;

export const RUN_KINDS = ['latency', 'publish', 'throughput', 'plain', 'freshness', 'workers'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** The flags parse() is given (src/args.ts adds --help). */
export const BENCH_FLAGS = {
  orders: { type: 'string' },
  rate: { type: 'string' },
  'freshness-seconds': { type: 'string' },
  runs: { type: 'string' },
  workers: { type: 'string' },
  partitions: { type: 'string' },
  'window-seconds': { type: 'string' },
  json: { type: 'boolean' },
  'cpu-prof': { type: 'boolean' },
} as const;

export interface BenchOptions {
  /** Orders in the throughput and workers runs. */
  orders: number;
  /** Orders/s and seconds of the freshness run. */
  rate: number;
  freshnessSeconds: number;
  runs: Set<RunKind>;
  workerCounts: number[];
  partitions: number;
  windowSeconds: number;
  json: boolean;
  /** Profile each consumer process (node --cpu-prof) and print where its CPU went. */
  cpuProf: boolean;
}

/** The options from parsed flags; `windowSeconds` is the configured window, used without --window-seconds. */
export function benchOptions(values: Parsed['values'], windowSeconds: number): BenchOptions {
  const positive = (name: string) => numberFlag(values[name], name, { integer: true, min: 1 });
  return {
    orders: positive('orders') ?? 100_000,
    rate: positive('rate') ?? 2000,
    freshnessSeconds: positive('freshness-seconds') ?? 60,
    runs: parseRuns(values.runs as string | undefined),
    workerCounts: parseWorkerCounts(values.workers as string | undefined),
    partitions: positive('partitions') ?? 4,
    windowSeconds: positive('window-seconds') ?? windowSeconds,
    json: Boolean(values.json),
    cpuProf: Boolean(values['cpu-prof']),
  };
}

/** --runs: a comma-separated list of RUN_KINDS (default all of them). */
export function parseRuns(value: string | undefined): Set<RunKind> {
  if (!value) return new Set(RUN_KINDS);
  const runs = value.split(',').map((s) => s.trim());
  for (const r of runs)
    if (!(RUN_KINDS as readonly string[]).includes(r))
      throw new UsageError(`--runs: unknown run '${r}' (expected ${RUN_KINDS.join(', ')})`);
  return new Set(runs as RunKind[]);
}

/** --workers: a comma-separated list of worker process counts, each 1 to 16 (default 1,2,3). */
export function parseWorkerCounts(value: string | undefined): number[] {
  if (!value) return [1, 2, 3];
  return value.split(',').map((s) => {
    const n = numberFlag(s.trim(), 'workers', { integer: true, min: 1 });
    if (n === undefined || n > 16)
      throw new UsageError(`--workers: '${s}' is not a worker count from 1 to 16`);
    return n;
  });
}
