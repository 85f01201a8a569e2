/**
 * The Temporal contract: what workflows, activities, the CLI, the dashboard and the tests exchange. Signals,
 * queries, search-attribute keys and failure types are defined once here and used as typed values everywhere
 * (`handle.signal(pauseSignal)`, `handle.query(statusQuery)`), never as strings. The data is small on purpose:
 * records never pass through workflow history, only offsets, window numbers and counters.
 */
import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** salesStream: stop after the windows already due; pause and resume between windows. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
export const statusQuery = defineQuery<StreamStatus>('status');
export const replayStatusQuery = defineQuery<ReplayStatus>('status');
export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

/** What a workflow is, for the Temporal UI's filter box (`SalesflowKind="backfill"`). */
export const kindAttribute = defineSearchAttributeKey('SalesflowKind', SearchAttributeType.KEYWORD);
/** Where a backfill reads from: cassandra or csv. */
export const sourceAttribute = defineSearchAttributeKey('SalesflowSource', SearchAttributeType.KEYWORD);
export type WorkflowKind = 'stream' | 'replay' | 'backfill' | 'reconcile' | 'retention';

/** The typed search attributes a workflow of `kind` starts with. */
export function kindSearchAttributes(
  kind: WorkflowKind,
  source?: BackfillInput['source'],
): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: kindAttribute, value: kind }];
  if (source) pairs.push({ key: sourceAttribute, value: source });
  return pairs;
}

/**
 * The failure type of a workflow refusing its input. (An activity's failure type is the class name of the error
 * it threw; a non-retriable one fails for good: workers/failures.ts.)
 */
export const INVALID_INPUT = 'InvalidInput';

/** Offsets per partition, as decimal strings (Kafka offsets are int64). */
export type Offsets = Record<string, string>;

export interface FlushUnitInput {
  streamId: string;
  topic: string;
  windowStartMs: number;
  windowEndMs: number;
  /**
   * When the window counts as closed (epoch ms, its end plus a grace for clock skew). Until then the activity
   * consumes the open window, committing what has arrived every COMMIT_INTERVAL_MS; absent: already closed.
   */
  closeAtMs?: number;
  /**
   * The window is consumed by `units` activities at once, unit u reading the partitions p with p % units = u
   * (as many as the topic has when the window starts, at most SalesStreamInput.maxUnits). Absent: 0 of 1.
   */
  unit?: number;
  units?: number;
}

/** A committed window, as `stream_windows` keeps it. */
export interface WindowStats {
  windowStartMs: number;
  windowEndMs: number;
  batchId: number;
  /** Kafka records read for the window (valid or not). */
  records: number;
  /** Orders counted as sales. */
  orders: number;
  duplicates: number;
  invalid: number;
  /** Sum of Total over the counted orders. */
  amount: number;
  /** Number of (source, state) rows written. */
  groups: number;
  offsetsBefore: Offsets;
  offsetsAfter: Offsets;
  /** Records in the topic beyond offsetsAfter when the flush read it. */
  lagRecords: number;
  flushMs: number;
}

export interface FlushUnitResult extends WindowStats {
  /** Timestamp of the first record beyond the window, if one was seen: the next window that has data. */
  nextRecordMs: number | null;
  /** Every record appended later has a timestamp at or after this: windows ending before it are empty. */
  emptyUntilMs: number;
  /** True when this window had already been committed (a retried or duplicate flush). */
  alreadyCommitted: boolean;
  /** Partitions the topic had at the unit's last read (absent from older workers): the next window's units. */
  partitions?: number;
}

/**
 * Where a unit's flush is: the step of the part in hand. `read`: reading its partitions; `write-raw`: raw orders
 * to Cassandra; `before-commit`: everything written but the MySQL commit; `committed`: a part committed;
 * `waiting`: caught up with an open window, waiting for more.
 */
export type FlushPhase = 'read' | 'write-raw' | 'before-commit' | 'committed' | 'waiting';

/**
 * What a flushUnit activity heartbeats: its phase and its progress. Seen in the Temporal UI's pending activities
 * (and by the crash tests, which wait for `before-commit` to kill a worker there).
 */
export interface FlushUnitProgress {
  phase: FlushPhase;
  /** Parts this attempt has committed, and the records they read. */
  parts: number;
  records: number;
  /** Of the part in hand: records read so far (`read`), raw orders written so far (`write-raw`), else its records. */
  partRecords: number;
  /** The unit's share of the window is committed whole. */
  complete: boolean;
}

export interface StreamTotals {
  records: number;
  orders: number;
  duplicates: number;
  invalid: number;
  amount: number;
}

/** A window whose flush keeps failing: the stream is stalled on it and says why. */
export interface StreamDegraded {
  windowStartMs: number;
  /** When its first flush attempt failed (epoch ms). */
  sinceMs: number;
  /** Failed flush activities so far (each is several attempts, retried inside Temporal). */
  failures: number;
  /** The last failure's message, e.g. "Cassandra at 127.0.0.1:9042: All host(s) tried for query failed". */
  error: string;
}

export interface StreamState {
  /** Start of the next window to flush (epoch ms), or null before the first window is known. */
  nextWindowStartMs: number | null;
  windowsDone: number;
  offsets: Offsets;
  lagRecords: number;
  totals: StreamTotals;
  last: FlushUnitResult | null;
  paused: boolean;
  startedAt: string;
  /** Set while the current window cannot be flushed; null when the stream is healthy. */
  degraded?: StreamDegraded | null;
  /** Units the next window is consumed by (fixed once it starts, so a paused window resumes with the same). */
  units?: number;
  /** Partitions the topic had when last seen. */
  partitions?: number;
}

export interface SalesStreamInput {
  streamId: string;
  topic: string;
  windowSeconds: number;
  /** Wait this long after a window's end before flushing it (clock skew between worker and broker). */
  graceMs?: number;
  /** Continue-as-new after this many windows (history stays bounded). */
  windowsPerRun?: number;
  /** Pause between flush activities of a window that keeps failing (default 5 s). */
  retryDelayMs?: number;
  /** At most this many units (activities at once) per window; default one per partition (STREAM_UNITS). */
  maxUnits?: number;
  state?: StreamState;
}

export interface StreamStatus extends StreamState {
  streamId: string;
  topic: string;
  windowSeconds: number;
  stopping: boolean;
  phase: 'starting' | 'waiting' | 'flushing' | 'degraded' | 'paused' | 'stopped';
  runWindows: number;
}

export interface StreamStart {
  /** The first window that can hold data: from the checkpoint or the earliest record. */
  firstWindowStartMs: number;
  offsets: Offsets;
  /** Partitions the topic has. */
  partitions: number;
}

export interface PublishOrdersInput {
  file: string;
  topic: string;
  /** Orders per second; undefined with speedup/max. */
  rate?: number;
  /** Replay the gaps between consecutive Created At values, N times faster. */
  speedup?: number;
  max?: boolean;
  /** Total data rows in the file, if the caller counted them (for progress). */
  totalRows?: number;
}

export interface PublishProgress {
  /** Data rows consumed from the file (published or sent to the DLQ). */
  rows: number;
  published: number;
  /** Rows refused (sent to the DLQ). */
  badRows: number;
  totalRows: number | null;
  lastOrderId: number | null;
  /** The first bad rows' file lines and reasons (at most 20); absent in results of older workers. */
  firstBadRows?: Array<{ line: number; reason: string }>;
}

export interface PublishOrdersResult extends PublishProgress {
  seconds: number;
  resumedFrom: number;
}

export interface ReplayStatus {
  phase: 'publishing' | 'done' | 'failed';
  input: PublishOrdersInput;
  result: PublishOrdersResult | null;
}

export interface BackfillInput {
  /** Inclusive calendar dates, YYYY-MM-DD (the date written in each order's Created At). */
  from: string;
  to: string;
  source: 'cassandra' | 'csv';
  /** The orders CSV when source is csv. */
  file?: string;
  /** Months recomputed at once. */
  concurrency?: number;
}

export interface BackfillChunkResult {
  days: number;
  orders: number;
  rows: number;
  /** Orders whose customer is not in the customers table (not attributed to any source/state). */
  unattributed: number;
}

export interface BackfillProgress {
  orders: number;
  rows: number;
  unattributed: number;
  /** 'terminated' and 'timed out' only come from the CLI (the workflow never reports them itself). */
  phase: 'running' | 'done' | 'failed' | 'cancelled' | 'terminated' | 'timed out';
  from: string;
  to: string;
  source: 'cassandra' | 'csv';
  daysTotal: number;
  daysDone: number;
  chunksTotal: number;
  chunksDone: number;
}

export type BackfillResult = BackfillProgress;

export interface ReconcileInput {
  apply: boolean;
}

export interface TotalsDifference {
  source: string;
  state: string;
  streamOrders: number;
  rawOrders: number;
  streamAmount: number;
  rawAmount: number;
}

export interface ReconcileResult {
  rawOrders: number;
  /** Raw orders the stream has not counted yet (written to Cassandra, their window not committed): left out. */
  uncounted: number;
  unattributed: number;
  pairs: number;
  differences: TotalsDifference[];
  applied: boolean;
}

/**
 * Rows one purge statement deletes: a few milliseconds of row locks on closed windows' rows, so a purge never
 * holds up the stream's commits for long, while a day's ledger at 20,000 orders/s still takes only minutes.
 */
export const PURGE_CHUNK_ROWS = 5000;

/** purgeCounted, as the retention schedule (`salesflow-retention-<database>`) starts it. */
export interface PurgeCountedInput {
  /** Days an order ID stays in the ledger (COUNTED_RETENTION_DAYS when the schedule was last written). */
  retentionDays: number;
  /** The stream's window length: the horizon falls on a window boundary. */
  windowSeconds: number;
  /** Rows per DELETE; PURGE_CHUNK_ROWS when absent. */
  chunkRows?: number;
}

/** The purge activity's input: delete the ledger rows whose window started before `beforeMs`. */
export interface PurgeCountedOrdersInput {
  beforeMs: number;
  chunkRows: number;
}

export interface PurgeCountedResult {
  /** The horizon (epoch ms): rows of windows that started before it are gone. */
  beforeMs: number;
  deleted: number;
  /** DELETE statements run (each deletes at most chunkRows rows in a transaction of its own). */
  statements: number;
  /** Rows of stream_window_units (one per unit of a window) deleted with the ledger's (absent: older workers). */
  unitRows?: number;
}
