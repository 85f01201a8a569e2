/**
 * The stream workflow's state and how each event changes it, as pure functions (salesStream in stream.ts calls
 * them between its steps; the unit tests call them directly): a window done, a unit failing, the units of the next
 * window, where it starts.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { FlushUnitResult, Offsets, StreamDegraded, StreamState } from '../src/contract';
import { windowStartFor } from '../src/core/time';

export function initialStreamState(): StreamState {
  return {
    nextWindowStartMs: null,
    windowsDone: 0,
    offsets: {},
    lagRecords: 0,
    totals: { records: 0, orders: 0, duplicates: 0, invalid: 0, amount: 0 },
    last: null,
    paused: false,
    startedAt: new Date().toISOString(),
    degraded: null,
  };
}

/**
 * The state after a window completed with `result` (its units' results merged). Each window reaches this once
 * (retries happen inside the activities), so its stats always add up, even when an earlier attempt had already
 * committed a unit before its worker died. The next window is consumed by as many units as the topic has
 * partitions now (it may have grown).
 */
export function afterWindow(
  state: StreamState,
  result: FlushUnitResult,
  window: { endMs: number; windowMs: number; maxUnits?: number },
): StreamState {
  const partitions = result.partitions
    ? Math.max(state.partitions ?? 1, result.partitions)
    : state.partitions;
  const t = state.totals;
  return {
    ...state,
    windowsDone: state.windowsDone + 1,
    offsets: { ...state.offsets, ...result.offsetsAfter },
    ...(partitions === undefined ? {} : { partitions }),
    units: unitsFor(partitions ?? 1, window.maxUnits),
    lagRecords: result.lagRecords,
    last: result,
    totals: {
      records: t.records + result.records,
      orders: t.orders + result.orders,
      duplicates: t.duplicates + result.duplicates,
      invalid: t.invalid + result.invalid,
      amount: t.amount + result.amount,
    },
    nextWindowStartMs: nextWindowStart(result, window.endMs, window.windowMs),
  };
}

/** The stream's degradation after one more failed flush activity of the window starting at windowStartMs. */
export function degradedAfter(
  previous: StreamDegraded | null | undefined,
  windowStartMs: number,
  error: string,
  nowMs: number,
): StreamDegraded {
  const same = previous?.windowStartMs === windowStartMs;
  return {
    windowStartMs,
    sinceMs: same && previous ? previous.sinceMs : nowMs,
    failures: (same && previous ? previous.failures : 0) + 1,
    error,
  };
}

/** Records between the stream's offsets and the log end. */
export function lagAgainst(logEnd: Offsets, offsets: Offsets): number {
  let lag = 0;
  for (const [p, end] of Object.entries(logEnd))
    lag += Math.max(0, Number(BigInt(end) - BigInt(offsets[p] ?? '0')));
  return lag;
}

/** The innermost reason of an activity failure (the error the activity threw), for operators. */
export function failureMessage(e: unknown): string {
  let err = e as Error & { cause?: unknown };
  while ((err instanceof ActivityFailure || err instanceof ApplicationFailure) && err.cause instanceof Error)
    err = err.cause as typeof err;
  return err?.message || String(e);
}

/**
 * Skips windows known to be empty: the next record's window when one was seen beyond this window, otherwise the
 * window holding the moment the flush read the log's end (nothing older can still arrive).
 */
export function nextWindowStart(
  result: { nextRecordMs: number | null; emptyUntilMs: number },
  windowEndMs: number,
  windowMs: number,
): number {
  const floor = (t: number) => windowStartFor(t, windowMs / 1000);
  if (result.nextRecordMs !== null) return Math.max(windowEndMs, floor(result.nextRecordMs));
  return Math.max(windowEndMs, floor(result.emptyUntilMs));
}

/** Units per window: one per partition, at most maxUnits. */
export function unitsFor(partitions: number | undefined, maxUnits?: number): number {
  const p = partitions || 1; // absent from older workers' answers
  return Math.max(1, Math.min(p, maxUnits || p));
}

/**
 * One window's result from its units' (each covers its own partitions): counts add up, offsets join, the lag is
 * the sum, and the next window is the earliest any unit may still have data for (a unit that read its partitions'
 * end early knows less than one that saw a later record).
 */
export function mergeUnitResults(results: readonly FlushUnitResult[]): FlushUnitResult {
  const [first, ...rest] = results;
  const merged: FlushUnitResult = {
    ...first,
    offsetsBefore: { ...first.offsetsBefore },
    offsetsAfter: { ...first.offsetsAfter },
  };
  for (const r of rest) {
    merged.records += r.records;
    merged.orders += r.orders;
    merged.duplicates += r.duplicates;
    merged.invalid += r.invalid;
    merged.amount += r.amount;
    merged.groups = Math.max(merged.groups, r.groups);
    merged.lagRecords += r.lagRecords;
    merged.flushMs = Math.max(merged.flushMs, r.flushMs);
    Object.assign(merged.offsetsBefore, r.offsetsBefore);
    Object.assign(merged.offsetsAfter, r.offsetsAfter);
    merged.alreadyCommitted &&= r.alreadyCommitted;
    merged.partitions = Math.max(merged.partitions ?? 0, r.partitions ?? 0) || undefined;
  }
  // nextWindowStart reads nextRecordMs when set, else emptyUntilMs: each unit's own answer, the earliest wins.
  const bound = (r: FlushUnitResult) => r.nextRecordMs ?? r.emptyUntilMs;
  const earliest = Math.min(...results.map(bound));
  if (results.every((r) => r.nextRecordMs !== null)) merged.nextRecordMs = earliest;
  else {
    merged.nextRecordMs = null;
    merged.emptyUntilMs = earliest;
  }
  return merged;
}
