/**
 * The pipeline's MySQL statements: checkpoints, the window commit (one transaction), totals, customers, DLQ
 * counters. Multi-row statements throughout: no per-order round trip.
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { Offsets } from '../contract';
import type { CustomerDim, SalesRow } from '../core/aggregate';
import type { Customer } from '../core/types';
import type { Pool } from './mysql';

/** One (source, state) group of sales: a window row, a running total or a day's row. */
export type GroupRow = SalesRow;

export interface CountedOrder {
  orderId: number;
  source: string;
  state: string;
  total: number;
  partition: number;
  offset: string;
  /** Digest of the order's content (see orderDigest): a later copy that differs is a conflict. */
  digest: string;
}

export interface WindowCommit {
  streamId: string;
  topic: string;
  windowStartMs: number;
  windowEndMs: number;
  batchId: number;
  records: number;
  duplicates: number;
  invalid: number;
  groups: GroupRow[];
  counted: CountedOrder[];
  dlqReasons: Map<string, number>;
  /** What stream_offsets held when the flush began ({} before the first commit): the compare-and-set's operand. */
  checkpoint: Offsets;
  offsetsBefore: Offsets;
  offsetsAfter: Offsets;
  lagRecords: number;
  flushMs: number;
  /** False for a part of a window that holds more records than one flush part reads; the last part completes it. */
  complete: boolean;
}

export interface CommittedWindow {
  windowStartMs: number;
  windowEndMs: number;
  batchId: number;
  records: number;
  orders: number;
  duplicates: number;
  invalid: number;
  amount: number;
  groups: number;
  offsetsBefore: Offsets;
  offsetsAfter: Offsets;
  lagRecords: number;
  flushMs: number;
}

export class OffsetConflictError extends Error {
  constructor(expected: Offsets, actual: Offsets) {
    super(
      `offsets moved under this flush: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`,
    );
    this.name = 'OffsetConflictError';
  }
}

const CHUNK = 1000;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const placeholders = (rows: number, cols: number) =>
  Array.from({ length: rows }, () => `(${Array.from({ length: cols }, () => '?').join(',')})`).join(',');

/** The committed offsets of a stream: partition → next offset to read. Empty before the first commit. */
export async function readCheckpoint(
  db: Pool | PoolConnection,
  streamId: string,
  topic: string,
  lock = false,
) {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT kafka_partition AS p, next_offset AS o FROM stream_offsets WHERE stream_id = ? AND topic = ?${lock ? ' FOR UPDATE' : ''}`,
    [streamId, topic],
  );
  const offsets: Offsets = {};
  for (const r of rows) offsets[String(r.p)] = String(r.o);
  return offsets;
}

export async function committedWindow(
  db: Pool,
  streamId: string,
  windowStartMs: number,
): Promise<CommittedWindow | null> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT w.*, (SELECT COUNT(*) FROM sales_windows s WHERE s.stream_id = w.stream_id AND s.window_start = w.window_start) AS grp
       FROM stream_windows w WHERE w.stream_id = ? AND w.window_start = ? AND w.complete = 1`,
    [streamId, new Date(windowStartMs)],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    windowStartMs: (r.window_start as Date).getTime(),
    windowEndMs: (r.window_end as Date).getTime(),
    batchId: Number(r.batch_id),
    records: r.records,
    orders: r.orders,
    duplicates: r.duplicates,
    invalid: r.invalid,
    amount: r.amount,
    groups: Number(r.grp),
    offsetsBefore: JSON.parse(r.offsets_before),
    offsetsAfter: JSON.parse(r.offsets_after),
    lagRecords: Number(r.lag_records),
    flushMs: r.flush_ms,
  };
}

/**
 * Of the given order IDs, those already counted by any earlier window, with their content digest (null for
 * orders counted before digests were kept).
 */
export async function alreadyCounted(
  db: Pool | PoolConnection,
  orderIds: number[],
): Promise<Map<number, string | null>> {
  const seen = new Map<number, string | null>();
  for (const part of chunks(orderIds, 5000)) {
    const [rows] = await db.query<RowDataPacket[]>(
      'SELECT order_id, digest FROM counted_orders WHERE order_id IN (?)',
      [part],
    );
    for (const r of rows) seen.set(Number(r.order_id), r.digest ?? null);
  }
  return seen;
}

const sameOffsets = (a: Offsets, b: Offsets) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? null) !== (b[k] ?? null)) return false;
  return true;
};

/**
 * THE commit point: window rows, running totals, counted order IDs, DLQ counters and the new offsets in one
 * transaction, with a compare-and-set on the old offsets so two flushers can never both commit. A window too big
 * for one part commits in several; its rows add up part by part (each part guarded by the same compare-and-set).
 */
export async function commitWindow(pool: Pool, w: WindowCommit): Promise<void> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const current = await readCheckpoint(conn, w.streamId, w.topic, true);
    if (!sameOffsets(current, w.checkpoint)) throw new OffsetConflictError(w.checkpoint, current);
    const now = new Date();
    const start = new Date(w.windowStartMs);
    const end = new Date(w.windowEndMs);

    if (w.groups.length) {
      await conn.query(
        `INSERT INTO sales_windows (stream_id, window_start, window_end, batch_id, source, state, amount_paid, orders,
           subtotal, tax, discount, quantity, processed_at) VALUES ${placeholders(w.groups.length, 13)}
         ON DUPLICATE KEY UPDATE amount_paid = amount_paid + VALUES(amount_paid), orders = orders + VALUES(orders),
           subtotal = subtotal + VALUES(subtotal), tax = tax + VALUES(tax), discount = discount + VALUES(discount),
           quantity = quantity + VALUES(quantity), processed_at = VALUES(processed_at)`,
        w.groups.flatMap((g) => [
          w.streamId,
          start,
          end,
          w.batchId,
          g.source,
          g.state,
          g.amount,
          g.orders,
          g.subtotal,
          g.tax,
          g.discount,
          g.quantity,
          now,
        ]),
      );
      await conn.query(
        `INSERT INTO sales_totals (source, state, orders, amount, subtotal, tax, discount, quantity, updated_at)
         VALUES ${placeholders(w.groups.length, 9)}
         ON DUPLICATE KEY UPDATE orders = orders + VALUES(orders), amount = amount + VALUES(amount),
           subtotal = subtotal + VALUES(subtotal), tax = tax + VALUES(tax), discount = discount + VALUES(discount),
           quantity = quantity + VALUES(quantity), updated_at = VALUES(updated_at)`,
        w.groups.flatMap((g) => [
          g.source,
          g.state,
          g.orders,
          g.amount,
          g.subtotal,
          g.tax,
          g.discount,
          g.quantity,
          now,
        ]),
      );
    }
    for (const part of chunks(w.counted)) {
      await conn.query(
        `INSERT INTO counted_orders (order_id, stream_id, window_start, source, state, total, kafka_partition,
           kafka_offset, digest) VALUES ${placeholders(part.length, 9)}`,
        part.flatMap((c) => [
          c.orderId,
          w.streamId,
          start,
          c.source,
          c.state,
          c.total,
          c.partition,
          c.offset,
          c.digest,
        ]),
      );
    }
    if (w.dlqReasons.size) {
      const entries = [...w.dlqReasons];
      await conn.query(
        `INSERT INTO dlq_counts (reason, count, last_at) VALUES ${placeholders(entries.length, 3)}
         ON DUPLICATE KEY UPDATE count = count + VALUES(count), last_at = VALUES(last_at)`,
        entries.flatMap(([reason, n]) => [reason, n, now]),
      );
    }
    const offsetRows = Object.entries(w.offsetsAfter);
    if (offsetRows.length) {
      await conn.query(
        `INSERT INTO stream_offsets (stream_id, topic, kafka_partition, next_offset, updated_at)
         VALUES ${placeholders(offsetRows.length, 5)}
         ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), updated_at = VALUES(updated_at)`,
        offsetRows.flatMap(([p, o]) => [w.streamId, w.topic, Number(p), o, now]),
      );
    }
    const orders = w.groups.reduce((n, g) => n + g.orders, 0);
    const amount = w.groups.reduce((n, g) => n + g.amount, 0);
    await conn.query<ResultSetHeader>(
      `INSERT INTO stream_windows (stream_id, window_start, window_end, batch_id, records, orders, duplicates, invalid,
         amount, offsets_before, offsets_after, lag_records, flush_ms, flushed_at, complete)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
       ON DUPLICATE KEY UPDATE records = records + VALUES(records), orders = orders + VALUES(orders),
         duplicates = duplicates + VALUES(duplicates), invalid = invalid + VALUES(invalid),
         amount = amount + VALUES(amount), offsets_after = VALUES(offsets_after), lag_records = VALUES(lag_records),
         flush_ms = flush_ms + VALUES(flush_ms), flushed_at = VALUES(flushed_at), complete = VALUES(complete)`,
      [
        w.streamId,
        start,
        end,
        w.batchId,
        w.records,
        orders,
        w.duplicates,
        w.invalid,
        amount,
        JSON.stringify(w.offsetsBefore),
        JSON.stringify(w.offsetsAfter),
        w.lagRecords,
        w.flushMs,
        now,
        w.complete ? 1 : 0,
      ],
    );
    await conn.commit();
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

export type TotalRow = SalesRow;

export async function readTotals(db: Pool | PoolConnection): Promise<TotalRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT source, state, orders, amount, subtotal, tax, discount, quantity FROM sales_totals ORDER BY source, state',
  );
  return rows.map((r) => ({
    source: r.source,
    state: r.state,
    orders: Number(r.orders),
    amount: r.amount,
    subtotal: r.subtotal,
    tax: r.tax,
    discount: r.discount,
    quantity: Number(r.quantity),
  }));
}

export async function countedOrderCount(db: Pool): Promise<number> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM counted_orders');
  return Number(rows[0].n);
}

export async function dlqCounts(db: Pool): Promise<Record<string, number>> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT reason, count FROM dlq_counts ORDER BY reason');
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.count)]));
}

/**
 * Upserts customers in multi-row statements inside ONE transaction: a file loads whole or not at all (the caller
 * validates every row first; anything MySQL still refuses rolls the lot back). Passwords are never stored.
 */
export async function upsertCustomers(db: Pool, customers: Customer[]): Promise<void> {
  if (customers.length === 0) return;
  const conn = await db.getConnection();
  try {
    await conn.beginTransaction();
    const loadedAt = new Date();
    for (const part of chunks(customers, 500)) {
      await conn.query(
        `INSERT INTO customers (id, name, address, birth_date, city, created_at, email, latitude, longitude,
           source, state, zip, loaded_at) VALUES ${placeholders(part.length, 13)}
         ON DUPLICATE KEY UPDATE name = VALUES(name), address = VALUES(address), birth_date = VALUES(birth_date),
           city = VALUES(city), created_at = VALUES(created_at), email = VALUES(email), latitude = VALUES(latitude),
           longitude = VALUES(longitude), source = VALUES(source), state = VALUES(state), zip = VALUES(zip),
           loaded_at = VALUES(loaded_at)`,
        part.flatMap((c) => [
          c.id,
          c.name,
          c.address,
          c.birthDate,
          c.city,
          c.createdAt,
          c.email,
          c.latitude,
          c.longitude,
          c.source,
          c.state,
          c.zip,
          loadedAt,
        ]),
      );
    }
    await conn.commit();
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

/** A version stamp that changes whenever customers are (re)loaded: cheap to poll before every flush. */
export async function customersVersion(db: Pool): Promise<string> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n, MAX(loaded_at) AS t FROM customers');
  return `${rows[0].n}@${rows[0].t ? (rows[0].t as Date).getTime() : 0}`;
}

export async function loadCustomerDims(db: Pool): Promise<Map<number, CustomerDim>> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT id, source, state FROM customers');
  return new Map(rows.map((r) => [Number(r.id), { source: r.source, state: r.state }]));
}

/** Empties every table the pipeline derives (customers stay: they are the dimension, reloaded by `customers load`). */
export async function resetPipelineTables(db: Pool): Promise<void> {
  for (const table of [
    'sales_windows',
    'sales_totals',
    'counted_orders',
    'stream_offsets',
    'stream_windows',
    'dlq_counts',
    'sales_daily',
  ]) {
    await db.query(`TRUNCATE TABLE ${table}`);
  }
}

/** Replaces one day of `sales_daily` in one transaction (a day with no orders ends with no rows). */
export async function replaceDailyRows(pool: Pool, day: string, rows: GroupRow[]): Promise<void> {
  const conn = await pool.getConnection();
  try {
    // READ COMMITTED: no gap locks, so months replaced concurrently never deadlock on neighbouring days.
    await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await conn.beginTransaction();
    await conn.query('DELETE FROM sales_daily WHERE day = ?', [day]);
    if (rows.length) {
      const now = new Date();
      await conn.query(
        `INSERT INTO sales_daily (day, source, state, orders, amount, subtotal, tax, discount, quantity, computed_at)
         VALUES ${placeholders(rows.length, 10)}`,
        rows.flatMap((r) => [
          day,
          r.source,
          r.state,
          r.orders,
          r.amount,
          r.subtotal,
          r.tax,
          r.discount,
          r.quantity,
          now,
        ]),
      );
    }
    await conn.commit();
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

/**
 * The IDs of every counted order and the running totals, read in one consistent snapshot: the totals are exactly
 * the sum over those orders (a window's commit writes both in one transaction).
 */
export async function readCountedSnapshot(pool: Pool): Promise<{ counted: Set<number>; totals: TotalRow[] }> {
  const conn = await pool.getConnection();
  try {
    await conn.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const [ids] = await conn.query<RowDataPacket[]>('SELECT order_id FROM counted_orders');
    const counted = new Set(ids.map((r) => Number(r.order_id)));
    const totals = await readTotals(conn);
    await conn.commit();
    return { counted, totals };
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

/**
 * Adds corrections to the running totals in one transaction (and drops pairs left with no orders). Adding, not
 * replacing: a window the stream commits meanwhile adds its own orders, and neither loses the other's.
 */
export async function addToTotals(pool: Pool, deltas: GroupRow[]): Promise<void> {
  if (!deltas.length) return;
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const now = new Date();
    for (const part of chunks(deltas)) {
      await conn.query(
        `INSERT INTO sales_totals (source, state, orders, amount, subtotal, tax, discount, quantity, updated_at)
         VALUES ${placeholders(part.length, 9)}
         ON DUPLICATE KEY UPDATE orders = orders + VALUES(orders), amount = amount + VALUES(amount),
           subtotal = subtotal + VALUES(subtotal), tax = tax + VALUES(tax), discount = discount + VALUES(discount),
           quantity = quantity + VALUES(quantity), updated_at = VALUES(updated_at)`,
        part.flatMap((g) => [
          g.source,
          g.state,
          g.orders,
          g.amount,
          g.subtotal,
          g.tax,
          g.discount,
          g.quantity,
          now,
        ]),
      );
    }
    await conn.query('DELETE FROM sales_totals WHERE orders = 0');
    await conn.commit();
  } catch (e) {
    await conn.rollback().catch(() => undefined);
    throw e;
  } finally {
    conn.release();
  }
}

export interface DailyRow extends GroupRow {
  day: string;
}

export async function readDaily(db: Pool, from: string, to: string): Promise<DailyRow[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT DATE_FORMAT(day, '%Y-%m-%d') AS day, source, state, orders, amount, subtotal, tax, discount, quantity
       FROM sales_daily WHERE day BETWEEN ? AND ? ORDER BY day, source, state`,
    [from, to],
  );
  return rows.map((r) => ({
    day: r.day,
    source: r.source,
    state: r.state,
    orders: Number(r.orders),
    amount: r.amount,
    subtotal: r.subtotal,
    tax: r.tax,
    discount: r.discount,
    quantity: Number(r.quantity),
  }));
}
