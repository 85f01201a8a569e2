/**
 * `salesflow bench --cassandra`: what this Cassandra absorbs from Node on this machine, in a throw-away keyspace
 * (dropped afterwards):
 *  1. single prepared inserts (orders_by_id) at several concurrencies;
 *  2. unlogged batches that stay inside one (day, bucket) partition of the day table, at several batch sizes and
 *     concurrencies;
 *  3. the raw-order write path before (each table after the other, single inserts at concurrency 64) and after
 *     (upsertRawOrders: both tables at once, per-partition batches), called as the stream calls it (slices of
 *     5,000), for live traffic (one day) and for a replay of history (orders over 1,500 days).
 * Numbers only, printed with the core count and load average; nothing here asserts a time. The measurements are
 * in cassandra-load.ts, the printing in cassandra-report.ts.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import type { Client } from 'cassandra-driver';
import { numberFlag, parse } from '../../src/args';
import { type Config, loadConfig } from '../../src/config';
import { EXIT } from '../../src/errors';
import {
  connectCassandra,
  migrateCassandra,
  type RawOrderRow,
  upsertRawOrders,
} from '../../src/io/cassandra';
import {
  type CassandraBenchResult,
  legacyUpsert,
  makeRows,
  partitionBatches,
  singleInserts,
  writePathRate,
} from './cassandra-load';
import { printCassandraReport } from './cassandra-report';
import { loadAverages } from './meter';

export const CASSANDRA_BENCH_HELP = `Usage: salesflow bench --cassandra [--rows N] [--orders N,N] [--tune] [--json]

Measures, on the running stack's Cassandra, in a throw-away keyspace:
  single inserts   rows/s of single prepared inserts at concurrency 16, 64, 128, 256
  batches          rows/s of unlogged batches inside one partition, several sizes and concurrencies
  write path       raw orders/s (both tables) before and after the bucketed, concurrent write path

Options:
  --rows N       rows per micro-benchmark run (default 40000)
  --orders N,N   order counts for the write-path comparison (default 20000,200000; 0 skips it)
  --tune         also try a grid of upsertRawOrders settings (20000 orders each, live and history)
  --json         print the results as JSON`;

/** --orders: the comma-separated order counts of the write-path comparison; 0 (or none left) skips it. */
export function parseOrderCounts(value: string | undefined): number[] {
  return (value ?? '20000,200000')
    .split(',')
    .map((s) => numberFlag(s.trim(), 'orders', { integer: true, min: 0 }) ?? 0)
    .filter((x) => x > 0);
}

/** A run's connection, keyspace and fresh rows: every measurement writes rows no earlier one wrote. */
interface Session {
  client: Client;
  ks: string;
  buckets: number;
  fresh(count: number, days: number): RawOrderRow[];
  log(s: string): void;
}

export async function runCassandraBench(args: string[]): Promise<number> {
  const p = parse(args, {
    rows: { type: 'string' },
    orders: { type: 'string' },
    tune: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (p.help) {
    console.log(CASSANDRA_BENCH_HELP);
    return EXIT.ok;
  }
  const n = numberFlag(p.values.rows, 'rows', { integer: true, min: 1000 }) ?? 40_000;
  const orderCounts = parseOrderCounts(p.values.orders as string | undefined);
  const base = loadConfig();
  const config: Config = { ...base, cassandraKeyspace: `bench_cw_${randomBytes(4).toString('hex')}` };
  const result: CassandraBenchResult = {
    cores: os.cpus().length,
    loadAverage: os.loadavg(),
    singles: [],
    batches: [],
    writePath: [],
    tune: [],
  };
  await measureAll(config, result, { n, orderCounts, tune: Boolean(p.values.tune) });
  if (p.values.json) console.log(JSON.stringify(result, null, 2));
  else printCassandraReport(result, n);
  return EXIT.ok;
}

/** Every measurement, in a throw-away keyspace dropped afterwards whatever happens. */
async function measureAll(
  config: Config,
  result: CassandraBenchResult,
  opts: { n: number; orderCounts: number[]; tune: boolean },
): Promise<void> {
  const ks = config.cassandraKeyspace;
  const buckets = config.cassandraDayBuckets;
  const log = (s: string) => console.error(`bench cassandra: ${s}`);
  log(`${result.cores} cores, load average ${loadAverages()}; keyspace ${ks}, ${buckets} day buckets`);
  await migrateCassandra(config);
  const client = await connectCassandra(config);
  let nextId = 1;
  const fresh = (count: number, days: number) => {
    const rows = makeRows(count, nextId, days);
    nextId += count;
    return rows;
  };
  const session: Session = { client, ks, buckets, fresh, log };
  try {
    await singleInserts(client, ks, fresh(5000, 1), 64); // warm-up: prepare, JIT, memtables
    result.singles.push(...(await measureSingles(session, opts.n)));
    result.batches.push(...(await measureBatches(session, opts.n)));
    result.writePath.push(...(await measureWritePaths(session, opts.orderCounts)));
    if (opts.tune) result.tune.push(...(await measureTune(session)));
  } finally {
    await client
      .execute(`DROP KEYSPACE IF EXISTS ${ks}`, [], { readTimeout: 120_000 })
      .catch(() => undefined);
    await client.shutdown();
  }
}

async function measureSingles(s: Session, n: number): Promise<CassandraBenchResult['singles']> {
  const out: CassandraBenchResult['singles'] = [];
  for (const c of [16, 64, 128, 256]) {
    const rowsPerSecond = await singleInserts(s.client, s.ks, s.fresh(n, 1), c);
    out.push({ concurrency: c, rowsPerSecond });
    s.log(`single inserts, concurrency ${c}: ${rowsPerSecond} rows/s (load ${loadAverages()})`);
  }
  return out;
}

async function measureBatches(s: Session, n: number): Promise<CassandraBenchResult['batches']> {
  const out: CassandraBenchResult['batches'] = [];
  // A row's size on the wire: its raw message plus about 160 bytes of the other columns.
  const rowKiB = (Buffer.byteLength(makeRows(1, 1, 1)[0].raw) + 160) / 1024;
  for (const size of [4, 8, 16, 32, 64])
    for (const c of [8, 32, 64]) {
      const rowsPerSecond = await partitionBatches(s.client, s.ks, s.fresh(n, 1), s.buckets, size, c);
      const approxKiB = Math.round(rowKiB * size * 10) / 10;
      out.push({ batchRows: size, approxKiB, concurrency: c, rowsPerSecond });
      s.log(
        `batches of ${size} (~${approxKiB} KiB), concurrency ${c}: ${rowsPerSecond} rows/s (load ${loadAverages()})`,
      );
    }
  return out;
}

const TRAFFIC = [
  ['live (one day)', 1],
  ['history (1,500 days)', 1500],
] as const;

/** The raw-order write path before (legacyUpsert) and after (upsertRawOrders), for live traffic and history. */
async function measureWritePaths(
  s: Session,
  orderCounts: number[],
): Promise<CassandraBenchResult['writePath']> {
  const out: CassandraBenchResult['writePath'] = [];
  for (const orders of orderCounts)
    for (const [traffic, days] of TRAFFIC) {
      const beforePerSecond = await writePathRate(s.fresh(orders, days), (rows) =>
        legacyUpsert(s.client, s.ks, rows, s.buckets),
      );
      const afterPerSecond = await writePathRate(s.fresh(orders, days), (rows) =>
        upsertRawOrders(s.client, s.ks, rows),
      );
      out.push({ orders, traffic, beforePerSecond, afterPerSecond });
      s.log(
        `${orders} orders, ${traffic}: before ${beforePerSecond}/s, after ${afterPerSecond}/s (load ${loadAverages()})`,
      );
    }
  return out;
}

/** --tune: a grid of upsertRawOrders settings, 20,000 orders each. */
async function measureTune(s: Session): Promise<CassandraBenchResult['tune']> {
  const out: CassandraBenchResult['tune'] = [];
  for (const concurrency of [64, 128, 256])
    for (const batchRows of [8, 16, 32])
      for (const [traffic, days] of [
        ['live', 1],
        ['history', 1500],
      ] as const) {
        const o = { concurrency, batchRows };
        const ordersPerSecond = await writePathRate(s.fresh(20_000, days), (rows) =>
          upsertRawOrders(s.client, s.ks, rows, o),
        );
        out.push({ ...o, traffic, ordersPerSecond });
        s.log(`upsertRawOrders ${JSON.stringify(o)}, ${traffic}: ${ordersPerSecond} orders/s`);
      }
  return out;
}
