/**
 * Cassandra behind a small module: the raw-orders schema (by order ID, and by event-time day split into hashed
 * buckets so a backfill can scan one day without one hot, unbounded partition per day), idempotent prepared
 * upserts written to both tables at once, and paged scans.
 */
import { Client, policies, types } from 'cassandra-driver';
import { type Config, ConfigError } from '../config';
import { dayBucket } from '../core/buckets';
import { type DayBatch, dayBatches, interleave } from '../core/day-batches';
import { eventDay } from '../core/time';
import type { Order } from '../core/types';
import { diagnoseCassandra } from './cassandra-errors';
import { SinkRejectedError } from './driver-errors';
import { guarded } from './guard';
import { wrapperFor } from './reach';
import { cassandraSecurityOptions, replicationCql } from './security';

/** A counted order as the raw-order tables keep it: its fields, its day, and the Kafka record it came from. */
export interface RawOrderRow extends Omit<Order, 'id'> {
  orderId: number;
  /** The calendar date written in Created At, in its own offset. */
  day: string;
  kafkaPartition: number;
  kafkaOffset: string;
  kafkaTs: number;
  /** The original message, as UTF-8. */
  raw: string;
}

/**
 * The raw-order tables' columns, listed once, in insert order: each one's CQL type (the tables' DDL) and the value
 * a row gives it (every insert). Both tables have them all; the day table adds `bucket`.
 */
const RAW_ORDER_COLUMNS: ReadonlyArray<
  readonly [column: string, cqlType: string, value: (r: RawOrderRow) => unknown]
> = [
  // Long.fromNumber(NaN) is 0: rawOrderValues refuses an unusable ID before it could become order 0.
  ['order_id', 'bigint', (r) => types.Long.fromNumber(r.orderId)],
  ['created_at', 'text', (r) => r.createdAt],
  ['day', 'text', (r) => r.day],
  ['discount', 'double', (r) => r.discount],
  ['product_id', 'int', (r) => r.productId],
  ['quantity', 'int', (r) => r.quantity],
  ['subtotal', 'double', (r) => r.subtotal],
  ['tax', 'double', (r) => r.tax],
  ['total', 'double', (r) => r.total],
  ['user_id', 'int', (r) => r.userId],
  ['kafka_partition', 'int', (r) => r.kafkaPartition],
  ['kafka_offset', 'bigint', (r) => types.Long.fromString(r.kafkaOffset)],
  ['kafka_ts', 'timestamp', (r) => new Date(r.kafkaTs)],
  ['raw', 'text', (r) => r.raw],
];

const COLUMNS = RAW_ORDER_COLUMNS.map(([column, type]) => `${column} ${type}`).join(', ');

/** The day table: one partition per (event-time day, bucket), bucket = dayBucket(order_id, stored count). */
export const DAY_TABLE = 'orders_by_day_bucketed';
/** The layout before buckets, `PRIMARY KEY ((day), order_id)`: copied into DAY_TABLE and dropped by migrate. */
export const LEGACY_DAY_TABLE = 'orders_by_day';
/** Settings the stored data depends on, written by migrate: `day_buckets`, and a legacy copy's progress. */
export const SETTINGS_TABLE = 'settings';
const BUCKETS_SETTING = 'day_buckets';
const COPY_PROGRESS_SETTING = 'orders_by_day_copy_page_state';

export function CASSANDRA_SCHEMA(
  keyspace: string,
  replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}",
): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace}
       WITH replication = ${replication}`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.orders_by_id (${COLUMNS}, PRIMARY KEY (order_id))`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.${DAY_TABLE} (${COLUMNS}, bucket int,
       PRIMARY KEY ((day, bucket), order_id))`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.${SETTINGS_TABLE} (name text PRIMARY KEY, value text)`,
  ];
}

/** A connected client; what it throws is the family's (src/io/reach.ts), never the driver's own errors. */
export async function connectCassandra(config: Config, opts: { keyspace?: boolean } = {}): Promise<Client> {
  const driver = new Client({
    contactPoints: config.cassandraContactPoints,
    localDataCenter: config.cassandraLocalDc,
    keyspace: opts.keyspace === false ? undefined : config.cassandraKeyspace,
    queryOptions: { prepare: true, consistency: types.consistencies.localOne },
    socketOptions: { connectTimeout: 5000, readTimeout: 30_000 },
    pooling: { coreConnectionsPerHost: { [types.distance.local]: 2 } },
    // The default backoff grows to 10 minutes between tries, so a node that was down a while came back minutes
    // before the driver noticed. Bounded at 5 s, counting resumes within seconds of Cassandra answering again.
    policies: { reconnection: new policies.reconnection.ExponentialReconnectionPolicy(500, 5000, false) },
    ...cassandraSecurityOptions(config),
  });
  const client = guarded(driver, wrapperFor({ service: 'cassandra', config }, diagnoseCassandra));
  await client.connect();
  return client;
}

/**
 * Creates the keyspace and tables, fixes the day table's bucket count on first run, and moves the rows of a
 * pre-bucket `orders_by_day` into the bucketed table (idempotent; an interrupted copy resumes). Refuses, with a
 * ConfigError, a CASSANDRA_DAY_BUCKETS that differs from the count the stored rows were written with.
 */
export async function migrateCassandra(config: Config): Promise<void> {
  const client = await connectCassandra(config, { keyspace: false });
  try {
    const ks = config.cassandraKeyspace;
    for (const cql of CASSANDRA_SCHEMA(ks, replicationCql(config.cassandraReplication)))
      await client.execute(cql);
    // IF NOT EXISTS (a lightweight transaction): two migrates racing on a new keyspace agree on one count.
    await client.execute(`INSERT INTO ${ks}.${SETTINGS_TABLE} (name, value) VALUES (?, ?) IF NOT EXISTS`, [
      BUCKETS_SETTING,
      String(config.cassandraDayBuckets),
    ]);
    await checkDayBuckets(client, config);
    await copyLegacyDayTable(client, ks);
  } finally {
    await client.shutdown();
  }
}

const bucketCounts = new WeakMap<Client, Map<string, Promise<number>>>();

/**
 * The bucket count the keyspace's day table was written with (from its settings table, once per client): the
 * count every read and write uses, whatever CASSANDRA_DAY_BUCKETS says now.
 */
export function storedDayBuckets(client: Client, keyspace: string): Promise<number> {
  let byKeyspace = bucketCounts.get(client);
  if (!byKeyspace) {
    byKeyspace = new Map();
    bucketCounts.set(client, byKeyspace);
  }
  let count = byKeyspace.get(keyspace);
  if (!count) {
    count = client
      .execute(`SELECT value FROM ${keyspace}.${SETTINGS_TABLE} WHERE name = ?`, [BUCKETS_SETTING])
      .then((rs) => {
        const n = Number(rs.first()?.get('value'));
        if (!Number.isSafeInteger(n) || n < 1)
          throw new Error(`keyspace ${keyspace} has no day bucket count: run \`salesflow migrate\``);
        return n;
      });
    const cache = byKeyspace;
    count.catch(() => cache.delete(keyspace)); // a failed read is tried again on next use
    byKeyspace.set(keyspace, count);
  }
  return count;
}

/**
 * Refuses a configured bucket count that differs from the stored one: rows written with N buckets are only
 * found by readers that hash with N. Changing the count means re-bucketing the day table, which migrate does not
 * do (README: Raw orders in Cassandra).
 */
export async function checkDayBuckets(client: Client, config: Config): Promise<void> {
  const stored = await storedDayBuckets(client, config.cassandraKeyspace);
  if (stored !== config.cassandraDayBuckets)
    throw new ConfigError(
      'CASSANDRA_DAY_BUCKETS',
      `${stored}, the bucket count keyspace ${config.cassandraKeyspace}'s day table was written with ` +
        '(re-bucketing is not supported: unset it, or set it to the stored count)',
      String(config.cassandraDayBuckets),
    );
}

/**
 * Copies the rows of a pre-bucket `orders_by_day` ((day), order_id) into the bucketed table, a page at a time,
 * recording the page reached in the settings table so an interrupted copy resumes there (re-copying a page is a
 * harmless upsert), then drops the old table. `maxPages` stops early (tests of the resume).
 */
export async function copyLegacyDayTable(
  client: Client,
  keyspace: string,
  opts: { pageSize?: number; maxPages?: number } = {},
): Promise<{ copied: number; done: boolean }> {
  const legacy = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    [keyspace, LEGACY_DAY_TABLE],
  );
  const progressKey = [COPY_PROGRESS_SETTING];
  if (!legacy.rowLength) {
    await client.execute(`DELETE FROM ${keyspace}.${SETTINGS_TABLE} WHERE name = ?`, progressKey);
    return { copied: 0, done: true };
  }
  const buckets = await storedDayBuckets(client, keyspace);
  const saved = await client.execute(
    `SELECT value FROM ${keyspace}.${SETTINGS_TABLE} WHERE name = ?`,
    progressKey,
  );
  let pageState: string | undefined = saved.first()?.get('value') || undefined;
  let copied = 0;
  let pages = 0;
  do {
    const query = (state: string | undefined) =>
      client.execute(`SELECT * FROM ${keyspace}.${LEGACY_DAY_TABLE}`, [], {
        prepare: true,
        fetchSize: opts.pageSize ?? 2000,
        pageState: state,
      });
    // A saved page state the server no longer takes (another version, say) costs a copy from the start, not a
    // migrate that can never finish.
    const rs = await query(pageState).catch((e) =>
      pages === 0 && pageState ? query(undefined) : Promise.reject(e),
    );
    const rows = rs.rows.map(toRow);
    const { refused, failure } = await writeRows(client, keyspace, rows, buckets, { byId: false });
    if (failure) throw failure;
    const [bad] = refused.values();
    if (bad) throw new Error(`copying ${LEGACY_DAY_TABLE}: a row was refused: ${bad.message}`);
    copied += rows.length;
    pageState = rs.pageState ?? undefined;
    if (pageState)
      await client.execute(`INSERT INTO ${keyspace}.${SETTINGS_TABLE} (name, value) VALUES (?, ?)`, [
        COPY_PROGRESS_SETTING,
        pageState,
      ]);
    pages += 1;
    if (pageState && opts.maxPages !== undefined && pages >= opts.maxPages) return { copied, done: false };
  } while (pageState);
  // Every row is in the bucketed table now; nothing reads the old one (and auto_snapshot is off on our stack, so
  // this is the point of no return: the copy above is complete).
  await client.execute(`DROP TABLE IF EXISTS ${keyspace}.${LEGACY_DAY_TABLE}`, [], { readTimeout: 120_000 });
  await client.execute(`DELETE FROM ${keyspace}.${SETTINGS_TABLE} WHERE name = ?`, progressKey);
  return { copied, done: true };
}

/** The raw-order columns in insert order (rawOrderValues gives a row's values in the same order). */
const INSERT_COLUMNS = RAW_ORDER_COLUMNS.map(([column]) => column).join(', ');

export const rawOrderValues = (r: RawOrderRow): unknown[] => {
  if (!Number.isSafeInteger(r.orderId)) throw new RangeError(`order ID ${r.orderId} is not a safe integer`);
  return RAW_ORDER_COLUMNS.map(([, , value]) => value(r));
};

/** The prepared INSERT of a raw order into `table`; with `bucket`, the day table's bucket is its last value. */
export function rawOrderInsert(keyspace: string, table: string, opts: { bucket?: boolean } = {}): string {
  const columns = opts.bucket ? `${INSERT_COLUMNS}, bucket` : INSERT_COLUMNS;
  const marks = Array.from({ length: RAW_ORDER_COLUMNS.length + (opts.bucket ? 1 : 0) }, () => '?').join(',');
  return `INSERT INTO ${keyspace}.${table} (${columns}) VALUES (${marks})`;
}

/** A counted order as both raw-order tables store it, with the Kafka record it came from. */
export function rawOrderRow(
  order: Order,
  record: { partition: number; offset: string; timestampMs: number; value: Buffer | null },
): RawOrderRow {
  return {
    orderId: order.id,
    createdAt: order.createdAt,
    day: eventDay(order.createdAt),
    discount: order.discount,
    productId: order.productId,
    quantity: order.quantity,
    subtotal: order.subtotal,
    tax: order.tax,
    total: order.total,
    userId: order.userId,
    kafkaPartition: record.partition,
    kafkaOffset: record.offset,
    kafkaTs: record.timestampMs,
    raw: record.value ? record.value.toString('utf8') : '',
  };
}

/** The order a raw row holds (backfill and reconcile). */
export function orderOf(row: RawOrderRow): Order {
  return {
    id: row.orderId,
    createdAt: row.createdAt,
    discount: row.discount,
    productId: row.productId,
    quantity: row.quantity,
    subtotal: row.subtotal,
    tax: row.tax,
    total: row.total,
    userId: row.userId,
  };
}

/**
 * How the raw-order writes are shaped; the defaults are the best setting `salesflow bench --cassandra` measured
 * on the 2-core machine (README: Performance).
 */
export interface WriteOptions {
  /** Requests in flight, both tables together (a single insert or a batch each). */
  concurrency?: number;
  /** Rows in one day-table batch, at most (all of one (day, bucket) partition). */
  batchRows?: number;
}
export const DEFAULT_WRITE_OPTIONS: Required<WriteOptions> = {
  concurrency: 128,
  batchRows: 16,
};

/** Runs tasks (which never throw) with at most `concurrency` in flight, stopping early once `stop()` says so. */
async function runPool(tasks: Array<() => Promise<void>>, concurrency: number, stop: () => boolean) {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !stop()) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

interface WriteResult {
  /** Rows refused by either table, by index (the orders_by_id error first). */
  refused: Map<number, Error>;
  refusedById: Map<number, Error>;
  refusedByDay: Map<number, Error>;
  /** The first error that is not about a value (a node down, a timeout): the write must be retried. */
  failure?: Error;
}

/** One writeRows call: the rows, the two statements, and what has failed so far. */
interface WriteRun {
  client: Client;
  rows: readonly RawOrderRow[];
  idInsert: string;
  dayInsert: string;
  result: WriteResult;
}

/**
 * A refused value, as a SinkRejectedError: the client says one so; our own encoding (rawOrderValues, dayBucket)
 * throws a RangeError or TypeError for one. Undefined for any other failure.
 */
function refusal(e: unknown): SinkRejectedError | undefined {
  if (e instanceof SinkRejectedError) return e;
  if (e instanceof TypeError || e instanceof RangeError)
    return new SinkRejectedError('cassandra', e.message, {}, e);
  return undefined;
}

/** A request's failure: a refused value is its row's (in `refused`); anything else fails the whole write. */
function note(run: WriteRun, refused: Map<number, Error>, i: number, e: unknown): void {
  const value = refusal(e);
  if (value) refused.set(i, value);
  else run.result.failure ??= e as Error;
}

/** Row i into orders_by_id, one prepared insert (one partition per order: no honest batch). */
const idInsertTask = (run: WriteRun, i: number) => async () => {
  try {
    await run.client.execute(run.idInsert, rawOrderValues(run.rows[i]), { prepare: true });
  } catch (e) {
    note(run, run.result.refusedById, i, e);
  }
};

async function singleDayInsert(run: WriteRun, i: number, bucket: number): Promise<void> {
  try {
    await run.client.execute(run.dayInsert, [...rawOrderValues(run.rows[i]), bucket], { prepare: true });
  } catch (e) {
    note(run, run.result.refusedByDay, i, e);
  }
}

/**
 * One day-table batch as an unlogged batch (a lone row as a single insert). A refused batch is refused whole, so
 * its rows are then written singly to find the offending ones.
 */
const dayBatchTask =
  (run: WriteRun, { bucket, rows }: DayBatch) =>
  async () => {
    if (rows.length === 1) return singleDayInsert(run, rows[0], bucket);
    try {
      const queries = rows.map((i) => ({
        query: run.dayInsert,
        params: [...rawOrderValues(run.rows[i]), bucket],
      }));
      await run.client.batch(queries, { prepare: true, logged: false });
    } catch (e) {
      if (!refusal(e)) {
        run.result.failure ??= e as Error;
        return;
      }
      for (const i of rows) await singleDayInsert(run, i, bucket);
    }
  };

/**
 * Writes rows to orders_by_id (single prepared inserts) and the day table (unlogged batches that each stay in one
 * (day, bucket) partition: one mutation on one replica, not a coordinator fan-out) at the same time, from one
 * pool with the two tables' requests interleaved in proportion, so neither waits for the other and a replay of
 * history (about one row per (day, bucket) partition, so mostly single day-table inserts) gets the same
 * concurrency as live traffic (long batches).
 */
async function writeRows(
  client: Client,
  keyspace: string,
  rows: RawOrderRow[],
  buckets: number,
  opts: WriteOptions & { byId?: boolean } = {},
): Promise<WriteResult> {
  const o = { ...DEFAULT_WRITE_OPTIONS, ...opts };
  const run: WriteRun = {
    client,
    rows,
    idInsert: rawOrderInsert(keyspace, 'orders_by_id'),
    dayInsert: rawOrderInsert(keyspace, DAY_TABLE, { bucket: true }),
    result: { refused: new Map(), refusedById: new Map(), refusedByDay: new Map() },
  };
  const idTasks = opts.byId === false ? [] : rows.map((_, i) => idInsertTask(run, i));
  const { batches, unbucketed } = dayBatches(rows, buckets, o.batchRows);
  for (const [i, e] of unbucketed) note(run, run.result.refusedByDay, i, e);
  const dayTasks = batches.map((b) => dayBatchTask(run, b));
  await runPool(interleave(idTasks, dayTasks), o.concurrency, () => run.result.failure !== undefined);
  const { result } = run;
  for (const m of [result.refusedById, result.refusedByDay])
    for (const [i, e] of m) if (!result.refused.has(i)) result.refused.set(i, e);
  return result;
}

/**
 * Idempotent upserts into both tables, written concurrently (see writeRows). Returns the rows (by index) whose
 * VALUES Cassandra refused, with the error; any other failure (a node down, a timeout) throws, since a retry can
 * fix it. A row refused by one table is removed from the other, so a refused record is in neither.
 */
export async function upsertRawOrders(
  client: Client,
  keyspace: string,
  rows: RawOrderRow[],
  opts: WriteOptions = {},
): Promise<Map<number, Error>> {
  if (!rows.length) return new Map();
  const buckets = await storedDayBuckets(client, keyspace);
  const { refused, refusedById, refusedByDay, failure } = await writeRows(
    client,
    keyspace,
    rows,
    buckets,
    opts,
  );
  if (failure) throw failure;
  // Both tables were written at once: a row one refused may be in the other. Its key encoded there, so it can
  // be deleted there.
  for (const i of refused.keys()) {
    const id = types.Long.fromNumber(rows[i].orderId);
    if (!refusedById.has(i))
      await client.execute(`DELETE FROM ${keyspace}.orders_by_id WHERE order_id = ?`, [id], {
        prepare: true,
      });
    if (!refusedByDay.has(i))
      await client.execute(
        `DELETE FROM ${keyspace}.${DAY_TABLE} WHERE day = ? AND bucket = ? AND order_id = ?`,
        [rows[i].day, dayBucket(rows[i].orderId, buckets), id],
        { prepare: true },
      );
  }
  return refused;
}

/** Removes raw orders (both tables), e.g. of a record refused by MySQL after Cassandra took it. */
export async function deleteRawOrders(
  client: Client,
  keyspace: string,
  rows: Array<{ orderId: number; day: string }>,
) {
  if (!rows.length) return;
  const buckets = await storedDayBuckets(client, keyspace);
  for (const r of rows) {
    const id = types.Long.fromNumber(r.orderId);
    await client.execute(`DELETE FROM ${keyspace}.orders_by_id WHERE order_id = ?`, [id], { prepare: true });
    await client.execute(
      `DELETE FROM ${keyspace}.${DAY_TABLE} WHERE day = ? AND bucket = ? AND order_id = ?`,
      [r.day, dayBucket(r.orderId, buckets), id],
      { prepare: true },
    );
  }
}

function toRow(r: types.Row): RawOrderRow {
  return {
    orderId: Number(r.get('order_id')),
    createdAt: r.get('created_at'),
    day: r.get('day'),
    discount: r.get('discount'),
    productId: r.get('product_id'),
    quantity: r.get('quantity'),
    subtotal: r.get('subtotal'),
    tax: r.get('tax'),
    total: r.get('total'),
    userId: r.get('user_id'),
    kafkaPartition: r.get('kafka_partition'),
    kafkaOffset: String(r.get('kafka_offset')),
    kafkaTs: (r.get('kafka_ts') as Date).getTime(),
    raw: r.get('raw'),
  };
}

async function* paged(client: Client, cql: string, args: unknown[]): AsyncIterable<RawOrderRow> {
  let pageState: string | undefined;
  do {
    const rs = await client.execute(cql, args, { prepare: true, fetchSize: 5000, pageState });
    for (const row of rs.rows) yield toRow(row);
    pageState = rs.pageState ?? undefined;
  } while (pageState);
}

/** Day buckets read at once by scanDay: enough to keep the 2 cores busy without flooding the driver's queue. */
const SCAN_CONCURRENCY = 16;

/**
 * Every raw order of one event-time day: its buckets read in parallel (each paged), then merged into order ID
 * order, as the single-partition day table returned them. Holds one day in memory, as backfill does anyway.
 */
export async function* scanDay(client: Client, keyspace: string, day: string): AsyncIterable<RawOrderRow> {
  const buckets = await storedDayBuckets(client, keyspace);
  const parts: RawOrderRow[][] = [];
  const cql = `SELECT * FROM ${keyspace}.${DAY_TABLE} WHERE day = ? AND bucket = ?`;
  const tasks = Array.from({ length: buckets }, (_, bucket) => async () => {
    const out: RawOrderRow[] = [];
    for await (const row of paged(client, cql, [day, bucket])) out.push(row);
    parts[bucket] = out;
  });
  let failure: unknown;
  await runPool(
    tasks.map(
      (t) => () =>
        t().catch((e) => {
          failure ??= e;
        }),
    ),
    SCAN_CONCURRENCY,
    () => failure !== undefined,
  );
  if (failure) throw failure;
  yield* parts.flat().sort((a, b) => a.orderId - b.orderId);
}

/** Every raw order, paged (reconcile). */
export function scanAllOrders(client: Client, keyspace: string): AsyncIterable<RawOrderRow> {
  return paged(client, `SELECT * FROM ${keyspace}.orders_by_id`, []);
}

export async function countOrders(client: Client, keyspace: string): Promise<number> {
  const rs = await client.execute(`SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_id`, [], {
    readTimeout: 120_000,
  });
  return Number(rs.first().get('n'));
}

export async function getOrder(
  client: Client,
  keyspace: string,
  orderId: number,
): Promise<RawOrderRow | null> {
  const rs = await client.execute(`SELECT * FROM ${keyspace}.orders_by_id WHERE order_id = ?`, [
    types.Long.fromNumber(orderId),
  ]);
  const row = rs.first();
  return row ? toRow(row) : null;
}

export async function truncateRawOrders(client: Client, keyspace: string): Promise<void> {
  for (const table of ['orders_by_id', DAY_TABLE]) {
    await client.execute(`TRUNCATE ${keyspace}.${table}`, [], { readTimeout: 120_000 });
  }
}
