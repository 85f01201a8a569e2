/**
 * The dashboard's JSON API, as types: what the server answers and the page reads (app/dashboard/web imports
 * these too, so the two can never drift apart). No imports: the page's compiler sees only this file.
 */

export type Granularity = 'day' | 'week' | 'month';

export interface StateSales {
  state: string;
  orders: number;
  amount: number;
}

export interface SourceStateSales extends StateSales {
  source: string;
}

export interface Totals {
  orders: number;
  amount: number;
  /** Every source, in the order of SOURCES, zero when it has no sales yet. */
  bySource: Array<{ source: string; orders: number; amount: number }>;
  /** Per (source, state), amount descending. */
  rows: SourceStateSales[];
}

export interface WindowSales {
  windowStart: string;
  windowEnd: string;
  records: number;
  orders: number;
  duplicates: number;
  invalid: number;
  amount: number;
  flushMs: number;
  flushedAt: string;
  /** Amount per source in this window. */
  bySource: Record<string, number>;
}

export interface DailySales {
  day: string;
  source: string;
  orders: number;
  amount: number;
}

export interface Daily {
  /** The range answered: as asked, or the data's own first/last day for an open end (null: no daily rows). */
  from: string | null;
  to: string | null;
  by: Granularity;
  /** Per bucket and source, oldest first; `day` is the bucket's first day (never before `from`). */
  rows: DailySales[];
}

export interface PipelineNumbers {
  countedOrders: number;
  windows: number;
  lastWindow: WindowSales | null;
  /** Orders per second over the last few minutes of windows (by flush time), null before two windows. */
  ordersPerSecond: number | null;
  dlq: Record<string, number>;
}

export interface StreamHealth {
  workflowId: string;
  /** running, paused, stopping, no worker, not found, unreachable, completed, terminated, ..., unknown */
  status: string;
  /** The workflow's phase (starting, waiting, flushing, degraded, paused, stopped), null when not asked. */
  phase: string | null;
  windowsDone: number | null;
  /** Records in Kafka beyond the stream's checkpoint; null when the workflow could not be asked (see detail). */
  lagRecords: number | null;
  /** Why the numbers are missing, or what to do about it; for a degraded stream, the error it is stuck on. */
  detail?: string;
  /** Set while a window cannot be flushed: since when (ISO) and how many flush activities failed. */
  degradedSince?: string;
}

/** GET /api/health. */
export interface Health extends PipelineNumbers {
  windowSeconds: number;
  stream: StreamHealth;
}
