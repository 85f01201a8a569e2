/**
 * `salesflow bench` (= `npm run bench`): the pipeline's numbers, measured on the running local stack in isolated
 * pipelines (own topic, database, keyspace; dropped afterwards), each run with the machine's cores and load:
 *  1. latency: the default 18,760 orders replayed at max rate, seconds from the end of publishing to all counted;
 *  2. throughput: N generated orders at max rate, end-to-end orders/s, checked exactly once in both sinks; once
 *     through Temporal (the worker as its own process) and once through the plain loop (tools/bench/plain-loop.ts:
 *     the same activities and clients driven without Temporal, also its own process), for Temporal's share;
 *  3. freshness: a steady rate for a while, the seconds from each order's Kafka append time to its amount in
 *     sales_totals, and how long after its end each window's rows are complete;
 *  4. workers: the same N orders on a topic of several partitions, consumed by 1, 2, 3 worker processes (one
 *     unit per partition per window, on any worker): orders/s and each worker's share of the records;
 *  5. in every run: the consumer's peak RSS and CPU, the services' CPU, and where the flush's time went
 *     (SALESFLOW_PROFILE=1, src/core/profile.ts).
 * Numbers only; nothing here asserts a time. This file orders the runs; each kind of run has its own file
 * (throughput.ts, freshness.ts, workers.ts), on a shared frame (run.ts, consumer.ts, meter.ts, sinks.ts);
 * options.ts parses the flags, results.ts holds the numbers, report.ts prints them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from '../../src/args';
import { type Config, loadConfig, REPO_ROOT } from '../../src/config';
import { DEFAULT_GENERATE_OPTIONS } from '../../src/core/generate';
import { EXIT } from '../../src/errors';
import { profileConsumers } from './consumer';
import { messagesOf, withDataSet } from './data';
import { measureFreshness } from './freshness';
import { cleanUpOnSignals } from './interrupt';
import { BENCH_FLAGS, BENCH_HELP, type BenchOptions, benchOptions } from './options';
import { measurePublish } from './publish';
import { printReport } from './report';
import type { BenchRun, PublishRun } from './results';
import { measurePlain, measureTemporal } from './throughput';
import { measureWorkers } from './workers';

export async function runBench(args: string[]): Promise<number> {
  if (args.includes('--cassandra'))
    return (await import('./cassandra-writes')).runCassandraBench(args.filter((a) => a !== '--cassandra'));
  const p = parse(args, BENCH_FLAGS);
  if (p.help) {
    console.log(BENCH_HELP);
    return EXIT.ok;
  }
  const config = loadConfig();
  const options = benchOptions(p.values, config.windowSeconds);
  const uninstall = cleanUpOnSignals();
  const profiles = options.cpuProf
    ? fs.mkdtempSync(path.join(config.stateDir, 'bench-profiles-'))
    : undefined;
  profileConsumers(profiles);
  let runs: BenchRun[];
  let published: PublishRun[];
  try {
    published = await publishRuns(config, options);
    runs = [
      ...(await latencyRuns(options)),
      ...(await throughputRuns(config, options)),
      ...(await freshnessRuns(config, options)),
      ...(await workersRuns(config, options)),
    ];
  } finally {
    uninstall();
    if (profiles) fs.rmSync(profiles, { recursive: true, force: true });
  }
  if (options.json) console.log(JSON.stringify([...published, ...runs], null, 2));
  else printReport(runs, published);
  return EXIT.ok;
}

/** The seed's data set (data/orders.csv) at max rate through Temporal. */
async function latencyRuns({ runs, windowSeconds }: BenchOptions): Promise<BenchRun[]> {
  if (!runs.has('latency')) return [];
  const dataDir = path.join(REPO_ROOT, 'data');
  const ctx = {
    name: 'default set',
    driver: 'temporal' as const,
    orders: DEFAULT_GENERATE_OPTIONS.orders,
    windowSeconds,
  };
  return [await measureTemporal(ctx, path.join(dataDir, 'orders.csv'), path.join(dataDir, 'customers.csv'))];
}

/** The throughput runs' orders published alone: the publisher's rate and CPU per order. */
async function publishRuns(
  config: Config,
  { runs, orders, windowSeconds }: BenchOptions,
): Promise<PublishRun[]> {
  if (!runs.has('publish')) return [];
  return withDataSet(config, orders, 2, async (ordersCsv) => [
    await measurePublish(
      { name: `${orders} generated`, driver: 'temporal', orders, windowSeconds },
      ordersCsv,
    ),
  ]);
}

/** The same generated orders through Temporal and through the plain loop. */
async function throughputRuns(
  config: Config,
  { runs, orders, windowSeconds }: BenchOptions,
): Promise<BenchRun[]> {
  if (!runs.has('throughput') && !runs.has('plain')) return [];
  return withDataSet(config, orders, 2, async (ordersCsv, customersCsv) => {
    const ctx = { name: `${orders} generated`, orders, windowSeconds };
    const done: BenchRun[] = [];
    if (runs.has('throughput'))
      done.push(await measureTemporal({ ...ctx, driver: 'temporal' }, ordersCsv, customersCsv));
    if (runs.has('plain'))
      done.push(await measurePlain({ ...ctx, driver: 'plain' }, ordersCsv, customersCsv));
    return done;
  });
}

async function freshnessRuns(config: Config, o: BenchOptions): Promise<BenchRun[]> {
  if (!o.runs.has('freshness')) return [];
  const orders = o.rate * o.freshnessSeconds;
  return withDataSet(config, orders, 3, async (ordersCsv, customersCsv) => {
    const name = `steady ${o.rate}/s × ${o.freshnessSeconds} s`;
    const ctx = { name, driver: 'temporal' as const, orders, windowSeconds: o.windowSeconds };
    return [await measureFreshness(ctx, o.rate, o.freshnessSeconds, ordersCsv, customersCsv)];
  });
}

/** One run per worker count, the same orders each time, published by the bench. */
async function workersRuns(config: Config, o: BenchOptions): Promise<BenchRun[]> {
  if (!o.runs.has('workers')) return [];
  return withDataSet(config, o.orders, 4, async (ordersCsv, customersCsv) => {
    const messages = await messagesOf(ordersCsv);
    const done: BenchRun[] = [];
    for (const workers of o.workerCounts) {
      const name = `${o.orders} generated, ${workers} worker${workers > 1 ? 's' : ''}`;
      const ctx = { name, driver: 'temporal' as const, orders: o.orders, windowSeconds: o.windowSeconds };
      done.push(await measureWorkers(ctx, workers, o.partitions, messages, customersCsv));
    }
    return done;
  });
}
