/**
 * How the raw-order write path shapes its requests, pure: the day table's rows cut into batches that each stay
 * in one (day, bucket) partition, and the two tables' requests interleaved in proportion. src/io/cassandra.ts
 * sends them.
 */
import { dayBucket } from './buckets';

/**
 * Bytes of one day-table batch, at most. Cassandra's batch_size_warn_threshold (5 KiB) and fail threshold
 * (50 KiB) apply only to batches that span partitions (CASSANDRA-10876); ours never do, so what bounds them is
 * the mutation size (max_mutation_size, half a commit-log segment) and how long one request holds a write
 * thread. 64 KiB keeps a batch one small mutation whatever the raw messages' length (a row over it goes alone).
 */
export const BATCH_BYTES = 64 * 1024;

/** What the batching reads of a raw order. */
export interface BatchedRow {
  orderId: number;
  day: string;
  createdAt: string;
  raw: string;
}

/** A row's size in the mutation, estimated a little high: fixed-width columns and cell overhead, plus the text. */
const rowBytes = (r: BatchedRow) =>
  160 + Buffer.byteLength(r.raw) + Buffer.byteLength(r.createdAt) + Buffer.byteLength(r.day);

/** Rows (by index) of one (day, bucket) partition, sent as one unlogged batch (or a single insert). */
export interface DayBatch {
  bucket: number;
  rows: number[];
}

/**
 * The day table's batches: rows grouped by partition (in order of first appearance), each partition cut into
 * batches of at most `batchRows` rows and BATCH_BYTES bytes. A row with no bucket (its ID is not a safe integer)
 * is in no batch: `unbucketed` holds it with the reason.
 */
export function dayBatches(
  rows: readonly BatchedRow[],
  buckets: number,
  batchRows: number,
): { batches: DayBatch[]; unbucketed: Map<number, Error> } {
  const unbucketed = new Map<number, Error>();
  const partitions = new Map<string, DayBatch>();
  rows.forEach((r, i) => {
    let bucket: number;
    try {
      bucket = dayBucket(r.orderId, buckets);
    } catch (e) {
      unbucketed.set(i, e as Error);
      return;
    }
    const key = `${r.day}\u0000${bucket}`;
    const p = partitions.get(key) ?? { bucket, rows: [] };
    partitions.set(key, p);
    p.rows.push(i);
  });
  const batches: DayBatch[] = [];
  for (const { bucket, rows: members } of partitions.values()) {
    let batch: number[] = [];
    let bytes = 0;
    for (const i of members) {
      const size = rowBytes(rows[i]);
      if (batch.length && (batch.length >= batchRows || bytes + size > BATCH_BYTES)) {
        batches.push({ bucket, rows: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(i);
      bytes += size;
    }
    if (batch.length) batches.push({ bucket, rows: batch });
  }
  return { batches, unbucketed };
}

/**
 * Two lists merged in proportion (a, b, a, a, b, … as their lengths stand), so when one pool sends both, neither
 * waits for the other to finish.
 */
export function interleave<T>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0, j = 0; i < a.length || j < b.length; ) {
    const aNext = j >= b.length || (i < a.length && i * b.length <= j * a.length);
    out.push(aNext ? a[i++] : b[j++]);
  }
  return out;
}
