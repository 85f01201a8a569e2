/**
 * The stream's commit point and its bookkeeping: `stream_offsets` (the checkpoint), `stream_windows` (one row per
 * committed window), `sales_windows` (sales per window and group), `counted_orders` (the exactly-once ledger)
 * and `dlq_counts`.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { Offsets, WindowStats } from '../../contract';
import type { SalesRow } from '../../core/aggregate';
import { SalesflowError } from '../../errors';
import { DriverError } from '../driver-errors';
import type { Pool } from '../mysql';
import { chunks, type Db, inTransaction } from './sql';
import {
  COUNTED_ORDERS,
  DLQ_COUNTS,
  SALES_WINDOWS,
  STREAM_OFFSETS,
  STREAM_WINDOW_UNITS,
  STREAM_WINDOWS,
  type StreamOffsetRow,
  type WindowCounts,
} from './stream-tables';
import { insertInto, updateWhere } from './table';
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

/** A window's key and bounds, as stream_windows holds them. */
export interface WindowKey {
  streamId: string;
  windowStartMs: number;
  windowEndMs: number;
  batchId: number;
}

export interface WindowCommit extends WindowKey {
  topic: string;
  /** This unit of the window (it owns the partitions p with p % units = unit) and how many the window has. */
  unit: number;
  units: number;
  /** Who commits (pid@host, as Temporal names a worker): the work's share per worker is read from it. */
  worker: string;
  records: number;
  duplicates: number;
  invalid: number;
  groups: SalesRow[];
  counted: CountedOrder[];
  dlqReasons: Map<string, number>;
  /** What stream_offsets held for the unit's partitions when the part was read: the compare-and-set's operand. */
  checkpoint: Offsets;
  /** The unit's partitions only: where this part started and ended. */
  offsetsBefore: Offsets;
  offsetsAfter: Offsets;
  lagRecords: number;
  flushMs: number;
  /** False for a part of a unit's share that is not its last; the last part completes the unit. */
  complete: boolean;
}

/** Duplicate key: another unit counted the same order ID (in another partition) first. */
const ER_DUP_ENTRY = 1062;

/**
 * MySQL errors after which the same part, read and planned again, can succeed (nothing of it was committed): a
 * race lost on a lock (a lock wait timeout or a deadlock: the server says the statement is retriable) or on an
 * order ID.
 */
export function isPartRetry(e: unknown): boolean {
  return (
    e instanceof DriverError &&
    e.service === 'mysql' &&
    e.errno !== undefined &&
    (e.retriable || e.errno === ER_DUP_ENTRY)
  );
}

/** Another flush committed these partitions since this one read them: this one's part is stale, never committed. */
export class OffsetConflictError extends SalesflowError {
  constructor(expected: Offsets, actual: Offsets) {
    const moved = `expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`;
    super(`offsets moved under this flush: ${moved}`, { retriable: true });
  }
}

/**
 * The committed offsets of a stream: partition → next offset to read. Empty before the first commit. With
 * `partitions`, only theirs (a unit's), and `lock` locks exactly those rows: units of one window commit in parallel.
 */
export async function readCheckpoint(
  db: Db,
  streamId: string,
  topic: string,
  opts: { lock?: boolean; partitions?: readonly number[] } = {},
) {
  if (opts.partitions && !opts.partitions.length) return {};
  const only = opts.partitions ? ' AND kafka_partition IN (?)' : '';
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT kafka_partition AS p, next_offset AS o FROM stream_offsets WHERE stream_id = ? AND topic = ?${only}${opts.lock ? ' FOR UPDATE' : ''}`,
    opts.partitions ? [streamId, topic, opts.partitions] : [streamId, topic],
  );
  const offsets: Offsets = {};
  for (const r of rows) offsets[String(r.p)] = String(r.o);
  return offsets;
}

/** A stream_windows or stream_window_units row (with the window's end, batch and `grp`, its group count). */
function windowStatsOf(r: RowDataPacket): WindowStats {
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
  return rows[0] ? windowStatsOf(rows[0]) : null;
}

/** A unit's committed share of a window, once its last part is committed (groups: the whole window's). */
export async function committedUnit(
  db: Pool,
  streamId: string,
  windowStartMs: number,
  unit: number,
): Promise<WindowStats | null> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT u.*, w.window_end, w.batch_id,
            (SELECT COUNT(*) FROM sales_windows s WHERE s.stream_id = u.stream_id AND s.window_start = u.window_start) AS grp
       FROM stream_window_units u JOIN stream_windows w ON w.stream_id = u.stream_id AND w.window_start = u.window_start
      WHERE u.stream_id = ? AND u.window_start = ? AND u.unit = ? AND u.complete = 1`,
    [streamId, new Date(windowStartMs), unit],
  );
  return rows[0] ? windowStatsOf(rows[0]) : null;
}

/** A window's key columns, as its rows in stream_windows, stream_window_units and sales_windows start. */
const windowKey = (w: { streamId: string; windowStartMs: number }) => ({
  stream_id: w.streamId,
  window_start: new Date(w.windowStartMs),
});

/**
 * The window's row before its first commit (no counts, not complete): every unit's commit locks it, so the unit
 * that completes the window last is the one that sees all the others complete. Written before the commit's
 * transaction, not in it: an INSERT IGNORE there takes a shared lock that two units would both try to upgrade
 * (a deadlock).
 */
async function openWindow(db: Db, w: WindowKey): Promise<void> {
  const empty = { records: 0, orders: 0, duplicates: 0, invalid: 0, amount: 0, lag_records: 0, flush_ms: 0 };
  await insertInto(
    db,
    STREAM_WINDOWS,
    [
      {
        ...windowKey(w),
        window_end: new Date(w.windowEndMs),
        batch_id: w.batchId,
        ...empty,
        offsets_before: '{}',
        offsets_after: '{}',
        flushed_at: new Date(),
        complete: 0,
      },
    ],
    { ignore: true },
  );
}

/**
 * Checkpoint rows for partitions that have none yet, at the offset the stream starts them from. The commit's
 * compare-and-set locks existing rows only, so two flushers of one partition can never both insert its first row.
 */
export async function ensureOffsetRows(db: Db, streamId: string, topic: string, start: Offsets) {
  const now = new Date();
  await insertInto(db, STREAM_OFFSETS, offsetRows(streamId, topic, start, now), { ignore: true });
}

const offsetRows = (streamId: string, topic: string, offsets: Offsets, now: Date): StreamOffsetRow[] =>
  Object.entries(offsets).map(([p, o]) => ({
    stream_id: streamId,
    topic,
    kafka_partition: Number(p),
    next_offset: o,
    updated_at: now,
  }));

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
 * for one part commits in several, and a window of several units (partition sets) commits per unit in parallel:
 * its rows add up part by part, each part guarded by the compare-and-set on its own unit's partitions.
 *
 * Locks, always in this order so units never deadlock: the unit's offset rows (exact rows, READ COMMITTED takes
 * no gap locks) and its own counted orders, the DLQ counters in sorted order, then the window's row, which
 * serializes the units' shared steps: the (source, state) rows every unit adds to, and the window's completion
 * (whoever commits a unit's last part while holding it sees whether every other unit is complete).
 */
export async function commitWindow(pool: Pool, w: WindowCommit): Promise<void> {
  await openWindow(pool, w);
  await inTransaction(
    pool,
    async (conn) => {
      await expectCheckpoint(conn, w);
      const now = new Date();
      await writeUnitRows(conn, w, now);
      const window = await lockWindow(conn, w);
      // The rows every unit adds to, written while the window's row serializes the units (their own rows above
      // were written in parallel), in one sorted order.
      const groups = [...w.groups].sort((a, b) =>
        a.source === b.source ? cmp(a.state, b.state) : cmp(a.source, b.source),
      );
      await addWindowSales(conn, w, groups, now);
      await addToTotalsIn(conn, groups, now);
      const counts = partCounts(w, groups, now);
      await addToUnitRow(conn, w, counts);
      await addToWindowRow(conn, w, window, counts);
    },
    'READ COMMITTED',
  );
}

/** The compare-and-set: the unit's offset rows, locked, still hold what the part was read from. */
async function expectCheckpoint(conn: Db, w: WindowCommit): Promise<void> {
  const partitions = Object.keys(w.offsetsAfter).map(Number);
  const current = await readCheckpoint(conn, w.streamId, w.topic, { lock: true, partitions });
  if (!sameOffsets(current, w.checkpoint)) throw new OffsetConflictError(w.checkpoint, current);
}

/** The rows only this unit writes: its counted orders, the DLQ counters (sorted) and its new offsets. */
async function writeUnitRows(conn: Db, w: WindowCommit, now: Date): Promise<void> {
  const start = new Date(w.windowStartMs);
  await insertInto(
    conn,
    COUNTED_ORDERS,
    w.counted.map((c) => ({
      order_id: c.orderId,
      stream_id: w.streamId,
      window_start: start,
      source: c.source,
      state: c.state,
      total: c.total,
      kafka_partition: c.partition,
      kafka_offset: c.offset,
      digest: c.digest,
    })),
  );
  await insertInto(
    conn,
    DLQ_COUNTS,
    [...w.dlqReasons]
      .sort(([a], [b]) => cmp(a, b))
      .map(([reason, count]) => ({ reason, count, last_at: now })),
    { add: ['count'], replace: ['last_at'] },
  );
  await insertInto(conn, STREAM_OFFSETS, offsetRows(w.streamId, w.topic, w.offsetsAfter, now), {
    replace: ['next_offset', 'updated_at'],
  });
}

/** Locks the window's row (openWindow wrote it): from here the units' commits of this window take turns. */
async function lockWindow(conn: Db, w: WindowCommit): Promise<{ before: Offsets; after: Offsets }> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT offsets_before, offsets_after FROM ${STREAM_WINDOWS.name} WHERE stream_id = ? AND window_start = ? FOR UPDATE`,
    [w.streamId, new Date(w.windowStartMs)],
  );
  // Only a reset between the two statements does this: the part is read and planned again.
  if (!rows[0])
    throw new Error(`window ${new Date(w.windowStartMs).toISOString()} of ${w.streamId} vanished (a reset?)`);
  return { before: JSON.parse(rows[0].offsets_before), after: JSON.parse(rows[0].offsets_after) };
}

/** The part's sales added to the window's (source, state) rows. */
async function addWindowSales(conn: Db, w: WindowCommit, groups: readonly SalesRow[], now: Date) {
  await insertInto(
    conn,
    SALES_WINDOWS,
    groups.map((g) => ({
      ...windowKey(w),
      window_end: new Date(w.windowEndMs),
      batch_id: w.batchId,
      source: g.source,
      state: g.state,
      amount_paid: g.amount,
      orders: g.orders,
      subtotal: g.subtotal,
      tax: g.tax,
      discount: g.discount,
      quantity: g.quantity,
      processed_at: now,
    })),
    {
      add: ['amount_paid', 'orders', 'subtotal', 'tax', 'discount', 'quantity'],
      replace: ['processed_at'],
    },
  );
}

/** What this part adds to its unit's and its window's rows. */
function partCounts(w: WindowCommit, groups: readonly SalesRow[], now: Date): WindowCounts {
  return {
    records: w.records,
    orders: groups.reduce((n, g) => n + g.orders, 0),
    duplicates: w.duplicates,
    invalid: w.invalid,
    amount: groups.reduce((n, g) => n + g.amount, 0),
    offsets_before: JSON.stringify(w.offsetsBefore),
    offsets_after: JSON.stringify(w.offsetsAfter),
    lag_records: w.lagRecords,
    flush_ms: w.flushMs,
    flushed_at: now,
  };
}

/** The counts a part adds up in its unit's and its window's rows; the other columns take the latest part's. */
const ADDED_COUNTS = ['records', 'orders', 'duplicates', 'invalid', 'amount', 'flush_ms'] as const;

const addedCounts = (c: WindowCounts): Pick<WindowCounts, (typeof ADDED_COUNTS)[number]> => ({
  records: c.records,
  orders: c.orders,
  duplicates: c.duplicates,
  invalid: c.invalid,
  amount: c.amount,
  flush_ms: c.flush_ms,
});

/** The unit's row: created by its first part, added to by the next, complete with its last. */
async function addToUnitRow(conn: Db, w: WindowCommit, counts: WindowCounts): Promise<void> {
  await insertInto(
    conn,
    STREAM_WINDOW_UNITS,
    [
      {
        ...windowKey(w),
        unit: w.unit,
        units: w.units,
        worker: w.worker,
        ...counts,
        complete: w.complete ? 1 : 0,
      },
    ],
    {
      add: ADDED_COUNTS,
      replace: ['units', 'worker', 'offsets_after', 'lag_records', 'flushed_at', 'complete'],
    },
  );
}

/**
 * The window's row: the part's counts added, its offsets joined, its lag the sum of its units', complete once
 * every unit is. Under READ COMMITTED this sees every other unit's committed row; none can be mid-commit (the
 * window's row is ours until we commit).
 */
async function addToWindowRow(
  conn: Db,
  w: WindowCommit,
  window: { before: Offsets; after: Offsets },
  counts: WindowCounts,
): Promise<void> {
  const [units] = await conn.query<RowDataPacket[]>(
    `SELECT COALESCE(SUM(complete), 0) AS done, COALESCE(SUM(lag_records), 0) AS lag
       FROM ${STREAM_WINDOW_UNITS.name} WHERE stream_id = ? AND window_start = ?`,
    [w.streamId, new Date(w.windowStartMs)],
  );
  const before: Offsets = { ...window.before };
  for (const [p, o] of Object.entries(w.offsetsBefore)) before[p] ??= o;
  await updateWhere(conn, STREAM_WINDOWS, windowKey(w), {
    add: addedCounts(counts),
    set: {
      offsets_before: JSON.stringify(before),
      offsets_after: JSON.stringify({ ...window.after, ...w.offsetsAfter }),
      lag_records: Number(units[0].lag),
      flushed_at: counts.flushed_at,
      complete: Number(units[0].done) >= w.units ? 1 : 0,
    },
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Per worker (pid@host), the records its commits counted in the stream's windows: how the work spread. */
export async function workByWorker(db: Db, streamId: string): Promise<Map<string, number>> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT worker, SUM(records) AS records FROM stream_window_units WHERE stream_id = ? GROUP BY worker',
    [streamId],
  );
  return new Map(rows.map((r) => [String(r.worker), Number(r.records)]));
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
    'stream_window_units',
    'dlq_counts',
    'sales_daily',
  ]) {
    await db.query(`TRUNCATE TABLE ${table}`);
  }
}
