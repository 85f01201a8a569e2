/**
 * How a window's units are counted and their results joined, and what a window or a failure does to the stream's
 * state (workflows/stream-state.ts, pure functions).
 */
import { describe, expect, it } from 'vitest';
import type { FlushUnitResult } from '../../src/contract';
import {
  afterWindow,
  degradedAfter,
  initialStreamState,
  mergeUnitResults,
  nextWindowStart,
  unitsFor,
} from '../../workflows/stream-state';

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

describe('afterWindow', () => {
  const before = {
    ...initialStreamState(),
    nextWindowStartMs: 0,
    offsets: { 0: '5', 1: '7' },
    partitions: 2,
    units: 2,
  };

  it('adds the window up, moves its offsets, and starts the next window where the data is', () => {
    const result = unit({ offsetsAfter: { 1: '17' }, nextRecordMs: 3 * W + 10, partitions: 2 });
    const after = afterWindow(before, result, { endMs: W, windowMs: W });
    expect(after).toMatchObject({
      windowsDone: 1,
      offsets: { 0: '5', 1: '17' },
      totals: { records: 10, orders: 8, duplicates: 1, invalid: 1, amount: 20.5 },
      lagRecords: 2,
      last: result,
      nextWindowStartMs: 3 * W,
      partitions: 2,
      units: 2,
    });
    expect(before.windowsDone).toBe(0); // a new state, the old one untouched
  });

  it('grows the units with the topic (never shrinks them), capped at maxUnits', () => {
    expect(afterWindow(before, unit({ partitions: 6 }), { endMs: W, windowMs: W })).toMatchObject({
      partitions: 6,
      units: 6,
    });
    expect(afterWindow(before, unit({ partitions: 6 }), { endMs: W, windowMs: W, maxUnits: 4 }).units).toBe(
      4,
    );
    expect(afterWindow(before, unit({ partitions: 1 }), { endMs: W, windowMs: W })).toMatchObject({
      partitions: 2,
      units: 2,
    });
    // An older worker's answer has no partition count: the state keeps its own.
    expect(afterWindow(before, unit({}), { endMs: W, windowMs: W })).toMatchObject({
      partitions: 2,
      units: 2,
    });
  });
});

describe('degradedAfter', () => {
  it('counts failures of the same window since its first, and starts again on another window', () => {
    const first = degradedAfter(null, W, 'Cassandra down', 1000);
    expect(first).toEqual({ windowStartMs: W, sinceMs: 1000, failures: 1, error: 'Cassandra down' });
    const again = degradedAfter(first, W, 'still down', 6000);
    expect(again).toEqual({ windowStartMs: W, sinceMs: 1000, failures: 2, error: 'still down' });
    expect(degradedAfter(again, 2 * W, 'MySQL down', 9000)).toEqual({
      windowStartMs: 2 * W,
      sinceMs: 9000,
      failures: 1,
      error: 'MySQL down',
    });
  });
});
