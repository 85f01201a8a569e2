/**
 * The tables the stream's commit writes, as rows keyed by column (their DDL is MYSQL_SCHEMA in src/io/mysql.ts):
 * each table's columns are listed here once, and every statement that writes it builds on the descriptor.
 */
import { table } from './table';

/** The exactly-once ledger: one row per counted order ID. */
export interface CountedOrderRow {
  order_id: number;
  stream_id: string;
  window_start: Date;
  source: string;
  state: string;
  total: number;
  kafka_partition: number;
  kafka_offset: string;
  /** Digest of the order's content (null for orders counted before digests were kept). */
  digest: string | null;
}
export const COUNTED_ORDERS = table<CountedOrderRow>('counted_orders', {
  order_id: true,
  stream_id: true,
  window_start: true,
  source: true,
  state: true,
  total: true,
  kafka_partition: true,
  kafka_offset: true,
  digest: true,
});

/** Dead letters per reason. */
export interface DlqCountRow {
  reason: string;
  count: number;
  last_at: Date;
}
export const DLQ_COUNTS = table<DlqCountRow>('dlq_counts', { reason: true, count: true, last_at: true });

/** The checkpoint: the next offset to read per partition, the operand of the commit's compare-and-set. */
export interface StreamOffsetRow {
  stream_id: string;
  topic: string;
  kafka_partition: number;
  next_offset: string;
  updated_at: Date;
}
export const STREAM_OFFSETS = table<StreamOffsetRow>('stream_offsets', {
  stream_id: true,
  topic: true,
  kafka_partition: true,
  next_offset: true,
  updated_at: true,
});

/** Sales per window and (source, state): the seed's table plus the window's bounds and counts. */
export interface SalesWindowRow {
  stream_id: string;
  window_start: Date;
  window_end: Date;
  batch_id: number;
  source: string;
  state: string;
  amount_paid: number;
  orders: number;
  subtotal: number;
  tax: number;
  discount: number;
  quantity: number;
  processed_at: Date;
}
export const SALES_WINDOWS = table<SalesWindowRow>('sales_windows', {
  stream_id: true,
  window_start: true,
  window_end: true,
  batch_id: true,
  source: true,
  state: true,
  amount_paid: true,
  orders: true,
  subtotal: true,
  tax: true,
  discount: true,
  quantity: true,
  processed_at: true,
});

/** What a flush counted and where it read: stream_windows keeps it per window, stream_window_units per unit. */
export interface WindowCounts {
  records: number;
  orders: number;
  duplicates: number;
  invalid: number;
  amount: number;
  /** Offsets as JSON. */
  offsets_before: string;
  offsets_after: string;
  lag_records: number;
  flush_ms: number;
  flushed_at: Date;
}
const WINDOW_COUNTS = {
  records: true,
  orders: true,
  duplicates: true,
  invalid: true,
  amount: true,
  offsets_before: true,
  offsets_after: true,
  lag_records: true,
  flush_ms: true,
  flushed_at: true,
} as const;

/** One row per window: complete once every unit of it is. */
export interface StreamWindowRow extends WindowCounts {
  stream_id: string;
  window_start: Date;
  window_end: Date;
  batch_id: number;
  complete: 0 | 1;
}
export const STREAM_WINDOWS = table<StreamWindowRow>('stream_windows', {
  stream_id: true,
  window_start: true,
  window_end: true,
  batch_id: true,
  ...WINDOW_COUNTS,
  complete: true,
});

/** One row per unit of a window: what a retried unit returns, and which worker committed it. */
export interface StreamWindowUnitRow extends WindowCounts {
  stream_id: string;
  window_start: Date;
  unit: number;
  units: number;
  /** pid@host, as Temporal names a worker. */
  worker: string;
  complete: 0 | 1;
}
export const STREAM_WINDOW_UNITS = table<StreamWindowUnitRow>('stream_window_units', {
  stream_id: true,
  window_start: true,
  unit: true,
  units: true,
  worker: true,
  ...WINDOW_COUNTS,
  complete: true,
});
