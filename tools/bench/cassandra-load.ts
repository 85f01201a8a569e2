/**
 * One measurement of `salesflow bench --cassandra` each: rows shaped like real orders, and the rate of one write
 * shape over them (single inserts, one-partition batches, the write path before and after).
 */
import { type Client, concurrent } from 'cassandra-driver';
import { dayBucket } from '../../src/core/buckets';
import { encodeOrderMessage } from '../../src/core/message';
import {
  DAY_TABLE,
  type RawOrderRow,
  rawOrderInsert,
  rawOrderRow,
  rawOrderValues,
  type WriteOptions,
} from '../../src/io/cassandra';

/** What `salesflow bench --cassandra` measured (printed as tables, or as this JSON with --json). */
export interface CassandraBenchResult {
  cores: number;
  loadAverage: number[];
  singles: Array<{ concurrency: number; rowsPerSecond: number }>;
  batches: Array<{ batchRows: number; approxKiB: number; concurrency: number; rowsPerSecond: number }>;
  writePath: Array<{ orders: number; traffic: string; beforePerSecond: number; afterPerSecond: number }>;
  tune: Array<WriteOptions & { traffic: string; ordersPerSecond: number }>;
}

const values = rawOrderValues;

const DAY0 = Date.UTC(2022, 0, 1);
const LIVE_DAY = '2026-11-26';

/** Orders shaped like the generated ones (the raw message is the real encoding), IDs from `firstId`. */
export function makeRows(n: number, firstId: number, days: number): RawOrderRow[] {
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

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);

/** Rows/s of single prepared inserts into orders_by_id at `concurrency`. */
export async function singleInserts(client: Client, ks: string, rows: RawOrderRow[], concurrency: number) {
  const t = performance.now();
  await concurrent.executeConcurrent(client, rawOrderInsert(ks, 'orders_by_id'), rows.map(values), {
    concurrencyLevel: concurrency,
  });
  return perSecond(rows.length, performance.now() - t);
}

/** Unlogged batches of exactly `size` rows, each inside one (day, bucket) partition. */
export async function partitionBatches(
  client: Client,
  ks: string,
  rows: RawOrderRow[],
  buckets: number,
  size: number,
  concurrency: number,
) {
  const cql = rawOrderInsert(ks, DAY_TABLE, { bucket: true });
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
  return perSecond(rows.length, performance.now() - t);
}

/** The write path as it was: orders_by_id, then the day table, single inserts at concurrency 64. */
export async function legacyUpsert(client: Client, ks: string, rows: RawOrderRow[], buckets: number) {
  for (const [table, extra] of [
    ['orders_by_id', false],
    [DAY_TABLE, true],
  ] as const) {
    await concurrent.executeConcurrent(
      client,
      rawOrderInsert(ks, table, { bucket: extra }),
      rows.map((r) => (extra ? [...values(r), dayBucket(r.orderId, buckets)] : values(r))),
      { concurrencyLevel: 64 },
    );
  }
}

/** Orders/s of a write path called as activities/stream.ts calls it: slices of 5,000, one after the other. */
export async function writePathRate(rows: RawOrderRow[], write: (slice: RawOrderRow[]) => Promise<unknown>) {
  const t = performance.now();
  for (let i = 0; i < rows.length; i += 5000) await write(rows.slice(i, i + 5000));
  return perSecond(rows.length, performance.now() - t);
}
