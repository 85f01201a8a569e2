/** The raw-order write path's request plan: day-table batches within one partition and under both limits. */
import { describe, expect, it } from 'vitest';
import { dayBucket } from '../../src/core/buckets';
import { BATCH_BYTES, dayBatches, interleave } from '../../src/core/day-batches';

const row = (orderId: number, day = '2026-11-26', raw = 'x') => ({
  orderId,
  day,
  createdAt: `${day}T10:00:00.000Z`,
  raw,
});

describe('dayBatches', () => {
  it('keeps each batch inside one (day, bucket) partition, every row in exactly one batch', () => {
    const rows = Array.from({ length: 500 }, (_, i) => row(i + 1, i % 3 ? '2026-11-26' : '2026-11-25'));
    const { batches, unbucketed } = dayBatches(rows, 4, 16);
    expect(unbucketed.size).toBe(0);
    for (const b of batches) {
      expect(b.rows.length).toBeLessThanOrEqual(16);
      expect(new Set(b.rows.map((i) => rows[i].day)).size).toBe(1);
      for (const i of b.rows) expect(dayBucket(rows[i].orderId, 4)).toBe(b.bucket);
    }
    const all = batches.flatMap((b) => b.rows).sort((a, b) => a - b);
    expect(all).toEqual(rows.map((_, i) => i));
    // 2 days × 4 buckets: few partitions, so most batches are full.
    expect(batches.length).toBeLessThanOrEqual(Math.ceil(500 / 16) + 8);
  });

  it('cuts a batch before it passes BATCH_BYTES; a row bigger than that goes alone', () => {
    const big = 'y'.repeat(BATCH_BYTES / 4);
    const huge = 'z'.repeat(BATCH_BYTES * 2);
    const rows = [row(1, 'd', big), row(1, 'd', big), row(1, 'd', big), row(1, 'd', big), row(1, 'd', huge)];
    const { batches } = dayBatches(rows, 1, 16);
    expect(batches.map((b) => b.rows)).toEqual([[0, 1, 2], [3], [4]]);
  });

  it('leaves out a row whose ID has no bucket, with the reason', () => {
    const { batches, unbucketed } = dayBatches([row(1), row(Number.NaN), row(2)], 1, 16);
    expect(batches.flatMap((b) => b.rows)).toEqual([0, 2]);
    expect([...unbucketed.keys()]).toEqual([1]);
    expect(unbucketed.get(1)).toBeInstanceOf(RangeError);
  });
});

describe('interleave', () => {
  it('merges two lists in proportion, keeping each in order', () => {
    expect(interleave(['a1', 'a2', 'a3', 'a4'], ['b1', 'b2'])).toEqual(['a1', 'b1', 'a2', 'a3', 'b2', 'a4']);
    expect(interleave([], ['b1', 'b2'])).toEqual(['b1', 'b2']);
    expect(interleave(['a1'], [])).toEqual(['a1']);
  });
});
