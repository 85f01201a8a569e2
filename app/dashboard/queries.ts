/** The dashboard's reads, all through the read-only MySQL user. Money is summed in SQL, rounded only on display. */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { SOURCES, type Source } from '../../src/core/types';
import type {
  Daily,
  DailySales,
  Granularity,
  PipelineNumbers,
  SourceStateSales,
  StateSales,
  Totals,
  WindowSales,
} from './api';

export type { Daily, DailySales, PipelineNumbers, SourceStateSales, StateSales, Totals, WindowSales };

const num = (v: unknown) => Number(v ?? 0);

export async function salesByState(db: Pool, source: Source): Promise<StateSales[]> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT state, orders, amount FROM sales_totals WHERE source = ? ORDER BY amount DESC, state',
    [source],
  );
  return rows.map((r) => ({ state: r.state, orders: num(r.orders), amount: num(r.amount) }));
}

export async function salesTotals(db: Pool): Promise<Totals> {
  const [rows] = await db.query<RowDataPacket[]>(
    'SELECT source, state, orders, amount FROM sales_totals ORDER BY amount DESC, source, state',
  );
  const list = rows.map((r) => ({
    source: r.source,
    state: r.state,
    orders: num(r.orders),
    amount: num(r.amount),
  }));
  const bySource = SOURCES.map((source) => {
    const mine = list.filter((r) => r.source === source);
    return {
      source: source as string,
      orders: mine.reduce((n, r) => n + r.orders, 0),
      amount: mine.reduce((n, r) => n + r.amount, 0),
    };
  });
  return {
    orders: list.reduce((n, r) => n + r.orders, 0),
    amount: list.reduce((n, r) => n + r.amount, 0),
    bySource,
    rows: list,
  };
}

/** The stream's last `limit` complete windows, oldest first, with the amount per source in each. */
export async function recentWindows(db: Pool, streamId: string, limit: number): Promise<WindowSales[]> {
  const [windows] = await db.query<RowDataPacket[]>(
    `SELECT * FROM (
       SELECT window_start, window_end, records, orders, duplicates, invalid, amount, flush_ms, flushed_at
         FROM stream_windows WHERE stream_id = ? AND complete = 1 ORDER BY window_start DESC LIMIT ?
     ) w ORDER BY window_start`,
    [streamId, limit],
  );
  if (windows.length === 0) return [];
  const [parts] = await db.query<RowDataPacket[]>(
    `SELECT window_start, source, SUM(amount_paid) AS amount FROM sales_windows
      WHERE stream_id = ? AND window_start >= ? GROUP BY window_start, source`,
    [streamId, windows[0].window_start],
  );
  const bySource = new Map<number, Record<string, number>>();
  for (const p of parts) {
    const key = (p.window_start as Date).getTime();
    const entry = bySource.get(key) ?? {};
    entry[p.source] = num(p.amount);
    bySource.set(key, entry);
  }
  return windows.map((w) => ({
    windowStart: (w.window_start as Date).toISOString(),
    windowEnd: (w.window_end as Date).toISOString(),
    records: num(w.records),
    orders: num(w.orders),
    duplicates: num(w.duplicates),
    invalid: num(w.invalid),
    amount: num(w.amount),
    flushMs: num(w.flush_ms),
    flushedAt: (w.flushed_at as Date).toISOString(),
    bySource: bySource.get((w.window_start as Date).getTime()) ?? {},
  }));
}

const BUCKET: Record<Granularity, string> = {
  day: 'day',
  week: 'DATE_SUB(day, INTERVAL WEEKDAY(day) DAY)',
  month: "DATE_FORMAT(day, '%Y-%m-01')",
};

/** Sales per day (or week, or month) and source from sales_daily (written by backfills). */
export async function dailySales(
  db: Pool,
  range: { from: string | null; to: string | null },
  by: Granularity = 'day',
): Promise<Daily> {
  const [bounds] = await db.query<RowDataPacket[]>(
    `SELECT DATE_FORMAT(MIN(day), '%Y-%m-%d') AS first, DATE_FORMAT(MAX(day), '%Y-%m-%d') AS last FROM sales_daily`,
  );
  const from = range.from ?? bounds[0].first ?? null;
  const to = range.to ?? bounds[0].last ?? null;
  if (from === null || to === null || from > to) return { from, to, by, rows: [] };
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT DATE_FORMAT(GREATEST(${BUCKET[by]}, ?), '%Y-%m-%d') AS bucket, source, SUM(orders) AS orders,
            SUM(amount) AS amount
       FROM sales_daily WHERE day BETWEEN ? AND ? GROUP BY bucket, source ORDER BY bucket, source`,
    [from, from, to],
  );
  return {
    from,
    to,
    by,
    rows: rows.map((r) => ({
      day: r.bucket,
      source: r.source,
      orders: num(r.orders),
      amount: num(r.amount),
    })),
  };
}

export async function pipelineNumbers(db: Pool, streamId: string): Promise<PipelineNumbers> {
  const [[counted], [agg], [recent], [dlq]] = await Promise.all([
    // From the totals, not the ledger: the ledger keeps only COUNTED_RETENTION_DAYS of order IDs.
    db.query<RowDataPacket[]>('SELECT COALESCE(SUM(orders), 0) AS n FROM sales_totals'),
    db.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM stream_windows WHERE stream_id = ? AND complete = 1',
      [streamId],
    ),
    db.query<RowDataPacket[]>(
      `SELECT SUM(orders) AS orders, MIN(window_start) AS first, MAX(window_end) AS last FROM stream_windows
        WHERE stream_id = ? AND complete = 1 AND flushed_at >= NOW(3) - INTERVAL 5 MINUTE`,
      [streamId],
    ),
    db.query<RowDataPacket[]>('SELECT reason, count FROM dlq_counts ORDER BY count DESC, reason'),
  ]);
  const last = await recentWindows(db, streamId, 1);
  const r = recent[0];
  const spanS = r.first && r.last ? ((r.last as Date).getTime() - (r.first as Date).getTime()) / 1000 : 0;
  return {
    countedOrders: num(counted[0].n),
    windows: num(agg[0].n),
    lastWindow: last[0] ?? null,
    ordersPerSecond: spanS > 0 ? num(r.orders) / spanS : null,
    dlq: Object.fromEntries(dlq.map((d) => [d.reason, num(d.count)])),
  };
}

/**
 * Cheap fingerprints of what the page shows: `live` changes whenever a window (or a part of one) commits, `daily`
 * whenever a backfill writes sales_daily, so the page refetches only what changed.
 */
export async function changeStamp(db: Pool): Promise<{ live: string; daily: string }> {
  const [rows] = await db.query<RowDataPacket[]>(
    `SELECT (SELECT COUNT(*) FROM counted_orders) AS c, (SELECT MAX(flushed_at) FROM stream_windows) AS w,
            (SELECT SUM(count) FROM dlq_counts) AS q, (SELECT MAX(computed_at) FROM sales_daily) AS d,
            (SELECT COUNT(*) FROM sales_daily) AS n`,
  );
  const r = rows[0];
  const ms = (v: unknown) => (v ? (v as Date).getTime() : 0);
  return { live: [r.c, ms(r.w), r.q ?? 0].join('/'), daily: [ms(r.d), r.n].join('/') };
}
