/**
 * Cassandra behind a small module: the raw-orders schema (by order ID, and by event-time day so a backfill can
 * scan one day), idempotent prepared upserts with bounded concurrency, and paged scans.
 */
import { Client, concurrent, policies, types } from 'cassandra-driver';
import type { Config } from '../config';
import { eventDay } from '../core/time';
import type { Order } from '../core/types';
import { cassandraSecurityOptions, replicationCql } from './security';
import { isCassandraValueError } from './sink-errors';

export interface RawOrderRow {
  orderId: number;
  createdAt: string;
  /** The calendar date written in Created At, in its own offset. */
  day: string;
  discount: number | null;
  productId: number;
  quantity: number;
  subtotal: number;
  tax: number;
  total: number;
  userId: number;
  kafkaPartition: number;
  kafkaOffset: string;
  kafkaTs: number;
  /** The original message, as UTF-8. */
  raw: string;
}

const COLUMNS = `order_id bigint, created_at text, day text, discount double, product_id int, quantity int,
  subtotal double, tax double, total double, user_id int, kafka_partition int, kafka_offset bigint,
  kafka_ts timestamp, raw text`;

export function CASSANDRA_SCHEMA(
  keyspace: string,
  replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}",
): string[] {
  return [
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace}
       WITH replication = ${replication}`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.orders_by_id (${COLUMNS}, PRIMARY KEY (order_id))`,
    `CREATE TABLE IF NOT EXISTS ${keyspace}.orders_by_day (${COLUMNS}, PRIMARY KEY ((day), order_id))`,
  ];
}

export async function connectCassandra(config: Config, opts: { keyspace?: boolean } = {}): Promise<Client> {
  const client = new Client({
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
  await client.connect();
  return client;
}

/** Creates the keyspace and tables (idempotent). */
export async function migrateCassandra(config: Config): Promise<void> {
  const client = await connectCassandra(config, { keyspace: false });
  try {
    for (const cql of CASSANDRA_SCHEMA(config.cassandraKeyspace, replicationCql(config.cassandraReplication)))
      await client.execute(cql);
  } finally {
    await client.shutdown();
  }
}

const INSERT_COLUMNS =
  'order_id, created_at, day, discount, product_id, quantity, subtotal, tax, total, user_id, kafka_partition, kafka_offset, kafka_ts, raw';

const params = (r: RawOrderRow) => [
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
 * Idempotent upserts into both tables: prepared statements, bounded concurrency, no per-row await. Returns
 * the rows (by index) whose VALUES Cassandra refused, with the error; any other failure (a node down, a
 * timeout) throws, since a retry can fix it. Rows refused in one table are not written to the other.
 */
export async function upsertRawOrders(
  client: Client,
  keyspace: string,
  rows: RawOrderRow[],
  concurrency = 64,
): Promise<Map<number, Error>> {
  const refused = new Map<number, Error>();
  let index = rows.map((_, i) => i);
  for (const table of ['orders_by_id', 'orders_by_day']) {
    if (!index.length) break;
    const result = await concurrent.executeConcurrent(
      client,
      `INSERT INTO ${keyspace}.${table} (${INSERT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      index.map((i) => params(rows[i])),
      { concurrencyLevel: concurrency, raiseOnFirstError: false, collectResults: true },
    );
    if (!result.errors.length) continue;
    const failed = result.resultItems.flatMap((item, k) =>
      item instanceof Error ? [[index[k], item] as const] : [],
    );
    const other = failed.find(([, e]) => !isCassandraValueError(e));
    if (other) throw other[1];
    for (const [i, e] of failed) refused.set(i, e);
    index = index.filter((i) => !refused.has(i));
  }
  return refused;
}

/** Removes raw orders (both tables), e.g. of a record refused by MySQL after Cassandra took it. */
export async function deleteRawOrders(
  client: Client,
  keyspace: string,
  rows: Array<{ orderId: number; day: string }>,
) {
  for (const r of rows) {
    const id = types.Long.fromNumber(r.orderId);
    await client.execute(`DELETE FROM ${keyspace}.orders_by_id WHERE order_id = ?`, [id]);
    await client.execute(`DELETE FROM ${keyspace}.orders_by_day WHERE day = ? AND order_id = ?`, [r.day, id]);
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

/** Every raw order of one event-time day, paged. */
export function scanDay(client: Client, keyspace: string, day: string): AsyncIterable<RawOrderRow> {
  return paged(client, `SELECT * FROM ${keyspace}.orders_by_day WHERE day = ?`, [day]);
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
  for (const table of ['orders_by_id', 'orders_by_day']) {
    await client.execute(`TRUNCATE ${keyspace}.${table}`, [], { readTimeout: 120_000 });
  }
}
