/** How a window's units are counted and their results joined (workflows/stream.ts, pure functions). */
import { describe, expect, it } from 'vitest';
import type { FlushUnitResult } from '../../src/contract';
import { mergeUnitResults, nextWindowStart, unitsFor } from '../../workflows/stream';

const W = 15_000;
const unit = (over: Partial<FlushUnitResult>): FlushUnitResult => ({
  windowStartMs: 0,
  windowEndMs: W,
  batchId: 0,
  records: 10,
  orders: 8,
  duplicates: 1,
  invalid: 1,
  amount: 20.5,
  groups: 3,
  offsetsBefore: {},
  offsetsAfter: {},
  lagRecords: 2,
  flushMs: 40,
  nextRecordMs: null,
  emptyUntilMs: W,
  alreadyCommitted: false,
  ...over,
});

describe('unitsFor', () => {
  it('is one per partition, at most maxUnits, never zero', () => {
    expect(unitsFor(4)).toBe(4);
    expect(unitsFor(4, 2)).toBe(2);
    expect(unitsFor(2, 8)).toBe(2);
    expect(unitsFor(undefined)).toBe(1);
    expect(unitsFor(0, 0)).toBe(1);
  });
});

describe('mergeUnitResults', () => {
  it('adds counts, joins offsets, sums the lag', () => {
    const m = mergeUnitResults([
      unit({ offsetsBefore: { 0: '5', 2: '7' }, offsetsAfter: { 0: '9', 2: '8' }, partitions: 4 }),
      unit({ offsetsBefore: { 1: '1' }, offsetsAfter: { 1: '3' }, amount: 1.5, groups: 5, flushMs: 90 }),
    ]);
    expect(m).toMatchObject({
      records: 20,
      orders: 16,
      duplicates: 2,
      invalid: 2,
      amount: 22,
      lagRecords: 4,
    });
    expect(m.offsetsBefore).toEqual({ 0: '5', 1: '1', 2: '7' });
    expect(m.offsetsAfter).toEqual({ 0: '9', 1: '3', 2: '8' });
    expect(m.groups).toBe(5);
    expect(m.flushMs).toBe(90);
    expect(m.partitions).toBe(4);
    expect(m.alreadyCommitted).toBe(false);
  });

  it('goes on from the earliest window any unit may still have data for', () => {
    // Unit 0 saw a record 10 windows ahead; unit 1 read its partitions' end at 3 windows ahead: window 3 next.
    const m = mergeUnitResults([
      unit({ nextRecordMs: 10 * W + 1 }),
      unit({ nextRecordMs: null, emptyUntilMs: 3 * W + 5 }),
    ]);
    expect(nextWindowStart(m, W, W)).toBe(3 * W);
    // Both saw later records: the earlier one.
    const both = mergeUnitResults([unit({ nextRecordMs: 7 * W }), unit({ nextRecordMs: 4 * W + 2 })]);
    expect(nextWindowStart(both, W, W)).toBe(4 * W);
    // An already committed unit knows nothing beyond the window: the next window follows.
    const done = mergeUnitResults([unit({ nextRecordMs: 7 * W }), unit({ alreadyCommitted: true })]);
    expect(nextWindowStart(done, W, W)).toBe(W);
  });

  it('leaves its inputs alone', () => {
    const a = unit({ offsetsAfter: { 0: '1' } });
    mergeUnitResults([a, unit({ offsetsAfter: { 1: '2' } })]);
    expect(a.offsetsAfter).toEqual({ 0: '1' });
    expect(a.records).toBe(10);
  });
});
