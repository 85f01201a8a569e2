/**
 * Cassandra behind a small module: the raw-orders schema (by order ID, and by event-time day split into hashed
 * buckets so a backfill can scan one day without one hot, unbounded partition per day), idempotent prepared
 * upserts written to both tables at once, and paged scans.
 */
import { Client, policies, types } from 'cassandra-driver';
import { type Config, ConfigError } from '../config';
import { dayBucket } from '../core/buckets';
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

const COLUMNS = `order_id bigint, created_at text, day text, discount double, product_id int, quantity int,
  subtotal double, tax double, total double, user_id int, kafka_partition int, kafka_offset bigint,
  kafka_ts timestamp, raw text`;

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
export const INSERT_COLUMNS =
  'order_id, created_at, day, discount, product_id, quantity, subtotal, tax, total, user_id, kafka_partition, kafka_offset, kafka_ts, raw';

export const rawOrderValues = (r: RawOrderRow) => {
  // Long.fromNumber(NaN) is 0: an unusable ID would silently become order 0 instead of a refused row.
  if (!Number.isSafeInteger(r.orderId)) throw new RangeError(`order ID ${r.orderId} is not a safe integer`);
  return [
    types.Long.fromNumber(r.orderId),
    r.createdAt,
    r.day,
    r.discount,
    r.productId,
    r.quantity,
    r.subtotal,
    r.tax,
    r.total,
    r.userId,
    r.kafkaPartition,
    types.Long.fromString(r.kafkaOffset),
    new Date(r.kafkaTs),
    r.raw,
  ];
};

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

/**
 * Bytes of one day-table batch, at most. Cassandra's batch_size_warn_threshold (5 KiB) and fail threshold
 * (50 KiB) apply only to batches that span partitions (CASSANDRA-10876); ours never do, so what bounds them is
 * the mutation size (max_mutation_size, half a commit-log segment) and how long one request holds a write
 * thread. 64 KiB keeps a batch one small mutation whatever the raw messages' length (a row over it goes alone).
 */
export const BATCH_BYTES = 64 * 1024;
/** A row's size in the mutation, estimated a little high: fixed-width columns and cell overhead, plus the text. */
const rowBytes = (r: RawOrderRow) =>
  160 + Buffer.byteLength(r.raw) + Buffer.byteLength(r.createdAt) + Buffer.byteLength(r.day);

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

/** Row i's write failed with `e`: a refused value is the row's (in `refused`), anything else the write's. */
function noteFailure(result: WriteResult, refused: Map<number, Error>, i: number, e: unknown): void {
  const value = refusal(e);
  if (value) refused.set(i, value);
  else result.failure ??= e as Error;
}

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

/**
 * Writes rows to orders_by_id (single prepared inserts) and the day table (unlogged batches that each stay in one
 * (day, bucket) partition: one mutation on one replica, not a coordinator fan-out) at the same time. A refused
 * batch is refused whole, so its rows are written singly to find the offending ones.
 */
async function writeRows(
  client: Client,
  keyspace: string,
  rows: RawOrderRow[],
  buckets: number,
  opts: WriteOptions & { byId?: boolean } = {},
): Promise<WriteResult> {
  const o = { ...DEFAULT_WRITE_OPTIONS, ...opts };
  const result: WriteResult = { refused: new Map(), refusedById: new Map(), refusedByDay: new Map() };
  const note = (refused: Map<number, Error>, i: number, e: unknown) => noteFailure(result, refused, i, e);
  const stop = () => result.failure !== undefined;
  const idInsert = `INSERT INTO ${keyspace}.orders_by_id (${INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`;
  const dayInsert = `INSERT INTO ${keyspace}.${DAY_TABLE} (${INSERT_COLUMNS}, bucket) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`;

  const idTasks =
    opts.byId === false
      ? []
      : rows.map((r, i) => async () => {
          try {
            await client.execute(idInsert, rawOrderValues(r), { prepare: true });
          } catch (e) {
            note(result.refusedById, i, e);
          }
        });

  // Rows grouped by partition, then cut into batches under both the row and the byte limit.
  const partitions = new Map<string, { bucket: number; rows: number[] }>();
  rows.forEach((r, i) => {
    let bucket: number;
    try {
      bucket = dayBucket(r.orderId, buckets);
    } catch (e) {
      note(result.refusedByDay, i, e);
      return;
    }
    const key = `${r.day}\u0000${bucket}`;
    let p = partitions.get(key);
    if (!p) {
      p = { bucket, rows: [] };
      partitions.set(key, p);
    }
    p.rows.push(i);
  });
  const single = async (i: number, bucket: number) => {
    try {
      await client.execute(dayInsert, [...rawOrderValues(rows[i]), bucket], { prepare: true });
    } catch (e) {
      note(result.refusedByDay, i, e);
    }
  };
  const dayTasks: Array<() => Promise<void>> = [];
  for (const { bucket, rows: members } of partitions.values()) {
    let batch: number[] = [];
    let bytes = 0;
    const flush = (chunk: number[]) => {
      if (!chunk.length) return;
      if (chunk.length === 1) {
        dayTasks.push(() => single(chunk[0], bucket));
        return;
      }
      dayTasks.push(async () => {
        try {
          const queries = chunk.map((i) => ({
            query: dayInsert,
            params: [...rawOrderValues(rows[i]), bucket],
          }));
          await client.batch(queries, { prepare: true, logged: false });
        } catch (e) {
          if (!refusal(e)) {
            result.failure ??= e as Error;
            return;
          }
          for (const i of chunk) await single(i, bucket);
        }
      });
    };
    for (const i of members) {
      const size = rowBytes(rows[i]);
      if (batch.length && (batch.length >= o.batchRows || bytes + size > BATCH_BYTES)) {
        flush(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(i);
      bytes += size;
    }
    flush(batch);
  }

  // One pool for both tables, their requests interleaved in proportion, so neither waits for the other and a
  // replay of history (about one row per (day, bucket) partition, so mostly single day-table inserts) gets the
  // same concurrency as live traffic (long batches).
  const tasks: Array<() => Promise<void>> = [];
  for (let a = 0, b = 0; a < idTasks.length || b < dayTasks.length; ) {
    const idNext = b >= dayTasks.length || (a < idTasks.length && a * dayTasks.length <= b * idTasks.length);
    tasks.push(idNext ? idTasks[a++] : dayTasks[b++]);
  }
  await runPool(tasks, o.concurrency, stop);
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
