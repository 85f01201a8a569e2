/**
 * `salesflow bench --cassandra`: what this Cassandra absorbs from Node on this machine, in a throw-away keyspace
 * (dropped afterwards):
 *  1. single prepared inserts (orders_by_id) at several concurrencies;
 *  2. unlogged batches that stay inside one (day, bucket) partition of the day table, at several batch sizes and
 *     concurrencies;
 *  3. the raw-order write path before (each table after the other, single inserts at concurrency 64) and after
 *     (upsertRawOrders: both tables at once, per-partition batches), called as the stream calls it (slices of
 *     5,000), for live traffic (one day) and for a replay of history (orders over 1,500 days).
 * Numbers only, printed with the core count and load average; nothing here asserts a time.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';
import { type Client, concurrent } from 'cassandra-driver';
import { numberFlag, parse } from '../../src/args';
import { type Config, loadConfig } from '../../src/config';
import { dayBucket } from '../../src/core/buckets';
import { encodeOrderMessage } from '../../src/core/message';
import { EXIT, usageError } from '../../src/errors';
import {
  BATCH_BYTES,
  connectCassandra,
  DAY_TABLE,
  DEFAULT_WRITE_OPTIONS,
  INSERT_COLUMNS,
  migrateCassandra,
  type RawOrderRow,
  rawOrderRow,
  rawOrderValues,
  upsertRawOrders,
  type WriteOptions,
} from '../../src/io/cassandra';
import { printTable } from '../../src/terminal';

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

const MARKS = '?,?,?,?,?,?,?,?,?,?,?,?,?,?';
const values = rawOrderValues;

const DAY0 = Date.UTC(2022, 0, 1);
const LIVE_DAY = '2026-11-26';

/** Orders shaped like the generated ones (the raw message is the real encoding), IDs from `firstId`. */
function makeRows(n: number, firstId: number, days: number): RawOrderRow[] {
  return Array.from({ length: n }, (_, k) => {
    const id = firstId + k;
    const day = days === 1 ? LIVE_DAY : new Date(DAY0 + (id % days) * 86_400_000).toISOString().slice(0, 10);
    const createdAt = `${day}T${String(id % 24).padStart(2, '0')}:13:52.687Z`;
    const order = {
      id,
      createdAt,
      discount: id % 3 ? null : 4.25,
      productId: 1 + (id % 200),
      quantity: 1 + (id % 9),
      subtotal: 176.31891486819978,
      tax: 10.58,
      total: 186.8989148681998,
      userId: 1 + (id % 2500),
    };
    return rawOrderRow(order, {
      partition: 0,
      offset: String(id),
      timestampMs: 1_700_000_000_000 + id,
      value: Buffer.from(encodeOrderMessage(order)),
    });
  });
}

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function singles(client: Client, ks: string, rows: RawOrderRow[], concurrency: number) {
  const t = performance.now();
  await concurrent.executeConcurrent(
    client,
    `INSERT INTO ${ks}.orders_by_id (${INSERT_COLUMNS}) VALUES (${MARKS})`,
    rows.map(values),
    { concurrencyLevel: concurrency },
  );
  return rate(rows.length, performance.now() - t);
}

/** Unlogged batches of exactly `size` rows, each inside one (day, bucket) partition. */
async function batches(
  client: Client,
  ks: string,
  rows: RawOrderRow[],
  buckets: number,
  size: number,
  concurrency: number,
) {
  const cql = `INSERT INTO ${ks}.${DAY_TABLE} (${INSERT_COLUMNS}, bucket) VALUES (${MARKS}, ?)`;
  const byPartition = new Map<string, RawOrderRow[]>();
  for (const r of rows) {
    const key = `${r.day}/${dayBucket(r.orderId, buckets)}`;
    const list = byPartition.get(key) ?? [];
    if (!list.length) byPartition.set(key, list);
    list.push(r);
  }
  const work: RawOrderRow[][] = [];
  for (const list of byPartition.values())
    for (let i = 0; i < list.length; i += size) work.push(list.slice(i, i + size));
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < work.length) {
        const batch = work[next++];
        const queries = batch.map((r) => ({
          query: cql,
          params: [...values(r), dayBucket(r.orderId, buckets)],
        }));
        await client.batch(queries, { prepare: true, logged: false });
      }
    }),
  );
  return rate(rows.length, performance.now() - t);
}

/** The write path as it was: orders_by_id, then the day table, single inserts at concurrency 64. */
async function legacyUpsert(client: Client, ks: string, rows: RawOrderRow[], buckets: number) {
  for (const [table, extra] of [
    ['orders_by_id', false],
    [DAY_TABLE, true],
  ] as const) {
    await concurrent.executeConcurrent(
      client,
      `INSERT INTO ${ks}.${table} (${INSERT_COLUMNS}${extra ? ', bucket' : ''}) VALUES (${MARKS}${extra ? ', ?' : ''})`,
      rows.map((r) => (extra ? [...values(r), dayBucket(r.orderId, buckets)] : values(r))),
      { concurrencyLevel: 64 },
    );
  }
}

/** Orders/s of a write path called as activities/stream.ts calls it: slices of 5,000, one after the other. */
async function writePath(rows: RawOrderRow[], write: (slice: RawOrderRow[]) => Promise<unknown>) {
  const t = performance.now();
  for (let i = 0; i < rows.length; i += 5000) await write(rows.slice(i, i + 5000));
  return rate(rows.length, performance.now() - t);
}

export interface CassandraBenchResult {
  cores: number;
  loadAverage: number[];
  singles: Array<{ concurrency: number; rowsPerSecond: number }>;
  batches: Array<{ batchRows: number; approxKiB: number; concurrency: number; rowsPerSecond: number }>;
  writePath: Array<{ orders: number; traffic: string; beforePerSecond: number; afterPerSecond: number }>;
  tune: Array<WriteOptions & { traffic: string; ordersPerSecond: number }>;
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
  const orderCounts = String(p.values.orders ?? '20000,200000')
    .split(',')
    .map((s) => numberFlag(s.trim(), 'orders', { integer: true, min: 0 }) ?? 0)
    .filter((x) => x > 0);
  if (p.values.orders !== undefined && String(p.values.orders).trim() === '')
    throw usageError('--orders expects a comma-separated list of counts');

  const base = loadConfig();
  const config: Config = { ...base, cassandraKeyspace: `bench_cw_${randomBytes(4).toString('hex')}` };
  const ks = config.cassandraKeyspace;
  const buckets = config.cassandraDayBuckets;
  const log = (s: string) => console.error(`bench cassandra: ${s}`);
  const result: CassandraBenchResult = {
    cores: os.cpus().length,
    loadAverage: os.loadavg(),
    singles: [],
    batches: [],
    writePath: [],
    tune: [],
  };
  log(`${result.cores} cores, load average ${load()}; keyspace ${ks}, ${buckets} day buckets`);
  await migrateCassandra(config);
  const client = await connectCassandra(config);
  let nextId = 1;
  const fresh = (count: number, days: number) => {
    const rows = makeRows(count, nextId, days);
    nextId += count;
    return rows;
  };
  try {
    await singles(client, ks, fresh(5000, 1), 64); // warm-up: prepare, JIT, memtables
    for (const c of [16, 64, 128, 256]) {
      const rowsPerSecond = await singles(client, ks, fresh(n, 1), c);
      result.singles.push({ concurrency: c, rowsPerSecond });
      log(`single inserts, concurrency ${c}: ${rowsPerSecond} rows/s (load ${load()})`);
    }
    const rowKiB = (Buffer.byteLength(makeRows(1, 1, 1)[0].raw) + 160) / 1024;
    for (const size of [4, 8, 16, 32, 64])
      for (const c of [8, 32, 64]) {
        const rowsPerSecond = await batches(client, ks, fresh(n, 1), buckets, size, c);
        const approxKiB = Math.round(rowKiB * size * 10) / 10;
        result.batches.push({ batchRows: size, approxKiB, concurrency: c, rowsPerSecond });
        log(
          `batches of ${size} (~${approxKiB} KiB), concurrency ${c}: ${rowsPerSecond} rows/s (load ${load()})`,
        );
      }
    for (const orders of orderCounts)
      for (const [traffic, days] of [
        ['live (one day)', 1],
        ['history (1,500 days)', 1500],
      ] as const) {
        const beforePerSecond = await writePath(fresh(orders, days), (s) =>
          legacyUpsert(client, ks, s, buckets),
        );
        const afterPerSecond = await writePath(fresh(orders, days), (s) => upsertRawOrders(client, ks, s));
        result.writePath.push({ orders, traffic, beforePerSecond, afterPerSecond });
        log(
          `${orders} orders, ${traffic}: before ${beforePerSecond}/s, after ${afterPerSecond}/s (load ${load()})`,
        );
      }
    if (p.values.tune)
      for (const concurrency of [64, 128, 256])
        for (const batchRows of [8, 16, 32])
          for (const [traffic, days] of [
            ['live', 1],
            ['history', 1500],
          ] as const) {
            const o = { concurrency, batchRows };
            const ordersPerSecond = await writePath(fresh(20_000, days), (s) =>
              upsertRawOrders(client, ks, s, o),
            );
            result.tune.push({ ...o, traffic, ordersPerSecond });
            log(`upsertRawOrders ${JSON.stringify(o)}, ${traffic}: ${ordersPerSecond} orders/s`);
          }
  } finally {
    await client
      .execute(`DROP KEYSPACE IF EXISTS ${ks}`, [], { readTimeout: 120_000 })
      .catch(() => undefined);
    await client.shutdown();
  }

  if (p.values.json) {
    console.log(JSON.stringify(result, null, 2));
    return EXIT.ok;
  }
  console.log(
    `machine: ${result.cores} cores, load average at start ${result.loadAverage.map((x) => x.toFixed(2)).join(' ')}, now ${load()}`,
  );
  console.log(`\nsingle prepared inserts (orders_by_id), ${n} rows a run`);
  printTable(
    ['concurrency', 'rows/s'],
    result.singles.map((r) => [String(r.concurrency), String(r.rowsPerSecond)]),
  );
  console.log(
    `\nunlogged batches inside one (day, bucket) partition, ${n} rows a run (single-partition batches are exempt from the 5 KiB batch warn threshold; the write path caps a batch at ${BATCH_BYTES / 1024} KiB)`,
  );
  printTable(
    ['rows/batch', '~KiB/batch', 'concurrency', 'rows/s'],
    result.batches.map((r) => [
      String(r.batchRows),
      String(r.approxKiB),
      String(r.concurrency),
      String(r.rowsPerSecond),
    ]),
  );
  if (result.writePath.length) {
    console.log(
      `\nraw-order write path (both tables), slices of 5,000; after = ${JSON.stringify(DEFAULT_WRITE_OPTIONS)}`,
    );
    printTable(
      ['orders', 'traffic', 'before orders/s', 'after orders/s'],
      result.writePath.map((r) => [
        String(r.orders),
        r.traffic,
        String(r.beforePerSecond),
        String(r.afterPerSecond),
      ]),
    );
  }
  if (result.tune.length) {
    console.log('\nupsertRawOrders settings, 20,000 orders each');
    printTable(
      ['concurrency', 'batch rows', 'traffic', 'orders/s'],
      result.tune.map((r) => [
        String(r.concurrency),
        String(r.batchRows),
        r.traffic,
        String(r.ordersPerSecond),
      ]),
    );
  }
  return EXIT.ok;
}
