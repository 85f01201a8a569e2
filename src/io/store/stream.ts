/**
 * The stream's commit point and its bookkeeping: `stream_offsets` (the checkpoint), `stream_windows` (one row per
 * committed window), `sales_windows` (sales per window and group), `counted_orders` (the exactly-once ledger)
 * and `dlq_counts`.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { Offsets, WindowStats } from '../../contract';
import type { SalesRow } from '../../core/aggregate';
import type { Pool } from '../mysql';
import { chunks, type Db, insertRows, inTransaction } from './sql';
import { addToTotalsIn } from './totals';

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
  groups: SalesRow[];
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

export class OffsetConflictError extends Error {
  constructor(expected: Offsets, actual: Offsets) {
    super(
      `offsets moved under this flush: expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`,
    );
    this.name = 'OffsetConflictError';
  }
}

/** The committed offsets of a stream: partition → next offset to read. Empty before the first commit. */
export async function readCheckpoint(db: Db, streamId: string, topic: string, lock = false) {
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
): Promise<WindowStats | null> {
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
export async function alreadyCounted(db: Db, orderIds: number[]): Promise<Map<number, string | null>> {
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
  await inTransaction(pool, async (conn) => {
    const current = await readCheckpoint(conn, w.streamId, w.topic, true);
    if (!sameOffsets(current, w.checkpoint)) throw new OffsetConflictError(w.checkpoint, current);
    const now = new Date();
    const start = new Date(w.windowStartMs);
    const end = new Date(w.windowEndMs);
    await insertRows(
      conn,
      'sales_windows',
      [
        'stream_id',
        'window_start',
        'window_end',
        'batch_id',
        'source',
        'state',
        'amount_paid',
        'orders',
        'subtotal',
        'tax',
        'discount',
        'quantity',
        'processed_at',
      ],
      w.groups.map((g) => [
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
      {
        add: ['amount_paid', 'orders', 'subtotal', 'tax', 'discount', 'quantity'],
        replace: ['processed_at'],
      },
    );
    await addToTotalsIn(conn, w.groups, now);
    await insertRows(
      conn,
      'counted_orders',
      [
        'order_id',
        'stream_id',
        'window_start',
        'source',
        'state',
        'total',
        'kafka_partition',
        'kafka_offset',
        'digest',
      ],
      w.counted.map((c) => [
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
    await insertRows(
      conn,
      'dlq_counts',
      ['reason', 'count', 'last_at'],
      [...w.dlqReasons].map(([reason, n]) => [reason, n, now]),
      { add: ['count'], replace: ['last_at'] },
    );
    await insertRows(
      conn,
      'stream_offsets',
      ['stream_id', 'topic', 'kafka_partition', 'next_offset', 'updated_at'],
      Object.entries(w.offsetsAfter).map(([p, o]) => [w.streamId, w.topic, Number(p), o, now]),
      { replace: ['next_offset', 'updated_at'] },
    );
    const orders = w.groups.reduce((n, g) => n + g.orders, 0);
    const amount = w.groups.reduce((n, g) => n + g.amount, 0);
    await insertRows(
      conn,
      'stream_windows',
      [
        'stream_id',
        'window_start',
        'window_end',
        'batch_id',
        'records',
        'orders',
        'duplicates',
        'invalid',
        'amount',
        'offsets_before',
        'offsets_after',
        'lag_records',
        'flush_ms',
        'flushed_at',
        'complete',
      ],
      [
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
      ],
      {
        add: ['records', 'orders', 'duplicates', 'invalid', 'amount', 'flush_ms'],
        replace: ['offsets_after', 'lag_records', 'flushed_at', 'complete'],
      },
    );
  });
}

export async function countedOrderCount(db: Pool): Promise<number> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM counted_orders');
  return Number(rows[0].n);
}

export async function dlqCounts(db: Pool): Promise<Record<string, number>> {
  const [rows] = await db.query<RowDataPacket[]>('SELECT reason, count FROM dlq_counts ORDER BY reason');
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.count)]));
}

/** Empties every table the pipeline derives (customers stay: they are the dimension, reloaded by `customers load`). */
export async function resetPipelineTables(db: Pool): Promise<void> {
  for (const table of [
    'sales_windows',
    'sales_totals',
    'counted_orders',
    'counted_orders_purged',
    'stream_offsets',
    'stream_windows',
    'dlq_counts',
    'sales_daily',
  ]) {
    await db.query(`TRUNCATE TABLE ${table}`);
  }
}
