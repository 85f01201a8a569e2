import { describe, expect, it } from 'vitest';
import { dayBucket } from '../../src/core/buckets';

describe('dayBucket', () => {
  it('is pinned: stored rows depend on these exact values', () => {
    // Changing the hash would strand every stored row in a bucket readers no longer look in.
    expect([1, 2, 3, 1000, 18_760, 2 ** 40 + 7, -5].map((id) => dayBucket(id, 16))).toMatchInlineSnapshot(`
      [
        6,
        8,
        1,
        10,
        14,
        14,
        0,
      ]
    `);
  });

  it('stays in range and spreads consecutive and strided IDs evenly', () => {
    for (const [stride, buckets] of [
      [1, 16],
      [16, 16],
      [1024, 16],
      [1, 7],
    ]) {
      const counts = new Array(buckets).fill(0);
      const n = 160_000;
      for (let i = 0; i < n; i++) counts[dayBucket(1 + i * stride, buckets)] += 1;
      const expected = n / buckets;
      for (const c of counts)
        expect(Math.abs(c - expected) / expected, `stride ${stride}`).toBeLessThan(0.05);
    }
  });

  it('puts everything in bucket 0 with one bucket, and refuses an ID that is not a safe integer', () => {
    expect(dayBucket(123_456, 1)).toBe(0);
    expect(() => dayBucket(1.5, 16)).toThrow(RangeError);
    expect(() => dayBucket(Number.NaN, 16)).toThrow(RangeError);
  });
});
