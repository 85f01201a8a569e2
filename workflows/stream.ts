/**
 * salesStream: the long-running consume-aggregate workflow. For each tumbling window of `windowSeconds` on the
 * Kafka record timestamp it runs one flushUnit activity per unit of the window (a unit is a set of partitions),
 * from the moment the window opens until it closes: each counts what arrives while the window is open (a commit
 * every COMMIT_INTERVAL_MS), and completes its share of the window once it has closed. The MySQL transaction
 * inside flushUnit is the commit point; this workflow only holds window numbers, offsets and counters, and
 * continues as new long before its history grows.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type FlushUnitInput,
  type FlushUnitResult,
  type Offsets,
  pauseSignal,
  resumeSignal,
  type SalesStreamInput,
  type StreamState,
  type StreamStatus,
  statusQuery,
  stopSignal,
} from '../src/contract';
import { windowStartFor } from '../src/core/time';

const { flushUnit, startStream } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // A pause or stop cancels the window being consumed; wait for the activity to stop before going on.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: '20 seconds',
  // A few quick attempts inside Temporal (a worker restarting, a leader moving); past them the workflow marks
  // the stream degraded with the error, and keeps trying the same window (see flushWithRetries).
  retry: {
    initialInterval: '1 second',
    maximumInterval: '8 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 4,
  },
});

const { logEnd } = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 1 },
});

/** Between flush activities of a degraded window: short enough to resume within seconds of a fix. */
const DEGRADED_RETRY_MS = 5000;

/** Continue as new after this many flush activities: about 3 history events each, well under Temporal's limits. */
const UNITS_PER_RUN = 2000;

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

export async function salesStream(input: SalesStreamInput): Promise<StreamState> {
  const windowMs = input.windowSeconds * 1000;
  const graceMs = input.graceMs ?? 500;
  const windowsPerRun = input.windowsPerRun ?? 500;
  const state: StreamState = input.state ?? initialStreamState();
  let stopping = false;
  let runWindows = 0;
  let runUnits = 0;
  let phase: StreamStatus['phase'] = 'starting';
  /** The window being consumed, while its activity runs: pause and stop cancel it rather than wait for its close. */
  let live: { scope: CancellationScope; closeAtMs: number } | null = null;

  setHandler(pauseSignal, () => {
    state.paused = true;
    live?.scope.cancel(); // its committed parts stay; the same window resumes from the checkpoint
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
  });
  setHandler(stopSignal, () => {
    stopping = true;
    if (live && Date.now() < live.closeAtMs) live.scope.cancel(); // a closed window is finished first
  });
  setHandler(statusQuery, () => ({
    ...state,
    streamId: input.streamId,
    topic: input.topic,
    windowSeconds: input.windowSeconds,
    stopping,
    // Paused once the window being consumed has stopped (its activity acknowledges the cancel within seconds).
    phase: state.paused && !stopping && !live ? 'paused' : phase,
    runWindows,
  }));

  /**
   * Flushes one window: its units (partition sets) at once, each on whichever worker picks it up, each tried
   * again for as long as it takes: a partition's records are only ever counted in order, so there is no skipping
   * a window. After each failed activity (a few attempts) the stream is `degraded` with the error, its lag
   * measured against the log end, in the status query and the memo. A record that can never be stored does not
   * end up here (the flush dead-letters it); a service that is down does. Resolves null when a pause or stop
   * interrupts it (the units' committed parts stay).
   */
  async function flushWindowUnits(windowStartMs: number, windowEndMs: number, units: number) {
    const closeAtMs = windowEndMs + graceMs;
    const scope = new CancellationScope();
    live = { scope, closeAtMs };
    try {
      // Every unit settles before the window goes on (a pause waits for all of them to stop): no unit of this
      // window may still be committing when the same window starts again.
      const settled = await scope.run(() =>
        Promise.allSettled(
          Array.from({ length: units }, (_, unit) =>
            flushUnitWithRetries({
              streamId: input.streamId,
              topic: input.topic,
              windowStartMs,
              windowEndMs,
              closeAtMs,
              ...(units > 1 ? { unit, units } : {}),
            }),
          ),
        ),
      );
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      if (state.degraded) {
        state.degraded = null;
        upsertMemo({ health: 'ok', error: null });
      }
      return mergeUnitResults(settled.map((r) => (r as PromiseFulfilledResult<FlushUnitResult>).value));
    } catch (e) {
      if (isCancellation(e) && (state.paused || stopping)) return null;
      throw e; // the workflow itself was cancelled, or continues as new
    } finally {
      live = null;
    }
  }

  async function flushUnitWithRetries(unit: FlushUnitInput) {
    const where = unit.units ? ` · unit ${unit.unit! + 1}/${unit.units}` : '';
    for (;;) {
      try {
        return await flushUnit.executeWithOptions(
          {
            summary: `window ${new Date(unit.windowStartMs).toISOString()} +${input.windowSeconds}s${where}`,
          },
          [unit],
        );
      } catch (e) {
        if (isCancellation(e)) throw e;
        phase = 'degraded';
        const same = state.degraded?.windowStartMs === unit.windowStartMs;
        state.degraded = {
          windowStartMs: unit.windowStartMs,
          sinceMs: same ? state.degraded!.sinceMs : Date.now(),
          failures: (same ? state.degraded!.failures : 0) + 1,
          error: failureMessage(e),
        };
        try {
          state.lagRecords = lagAgainst(await logEnd({ topic: input.topic }), state.offsets);
        } catch {
          // Kafka itself may be what is down: keep the last known lag.
        }
        upsertMemo({ health: 'degraded', error: state.degraded.error, lagRecords: state.lagRecords });
        // In the window's scope: a pause or stop cancels this wait like the units' activities.
        await condition(() => stopping || state.paused, input.retryDelayMs ?? DEGRADED_RETRY_MS);
        if (stopping || state.paused) throw new CancelledFailure('window interrupted');
        if (workflowInfo().continueAsNewSuggested && !stopping)
          await continueAsNew<typeof salesStream>({ ...input, state });
        phase = 'flushing';
      }
    }
  }

  if (state.nextWindowStartMs === null) {
    const start = await startStream({
      streamId: input.streamId,
      topic: input.topic,
      windowSeconds: input.windowSeconds,
    });
    state.nextWindowStartMs = start.firstWindowStartMs;
    state.offsets = start.offsets;
    state.partitions = start.partitions;
    state.units = unitsFor(start.partitions, input.maxUnits);
  }

  for (;;) {
    if (state.paused && !stopping) {
      phase = 'paused';
      await condition(() => !state.paused || stopping);
    }
    const windowStartMs = state.nextWindowStartMs!;
    const windowEndMs = windowStartMs + windowMs;
    // stop: every closed window has been flushed; the open one is left for the next run (its records stay in
    // Kafka, beyond the checkpoint).
    if (stopping && windowEndMs + graceMs > Date.now()) break;
    const opensInMs = windowStartMs - Date.now();
    if (opensInMs > 0) {
      phase = 'waiting';
      // Wake early on pause/stop; a window is consumed from the moment it opens.
      if (await condition(() => stopping || state.paused, opensInMs)) continue;
    }

    phase = 'flushing';
    const result = await flushWindowUnits(windowStartMs, windowEndMs, state.units ?? 1);
    if (!result) {
      if (stopping) break; // the open (or failing) window is left for the next run, beyond the checkpoint
      continue; // paused: the same window resumes after `resume`
    }
    state.windowsDone += 1;
    runWindows += 1;
    runUnits += state.units ?? 1;
    state.offsets = { ...state.offsets, ...result.offsetsAfter };
    // The next window is consumed by as many units as the topic has partitions now (it may have grown).
    if (result.partitions) state.partitions = Math.max(state.partitions ?? 1, result.partitions);
    state.units = unitsFor(state.partitions ?? 1, input.maxUnits);
    state.lagRecords = result.lagRecords;
    state.last = result;
    // Each window reaches this point once (retries happen inside the activity), so its stats always add up,
    // even when an earlier attempt had already committed it before its worker died.
    state.totals.records += result.records;
    state.totals.orders += result.orders;
    state.totals.duplicates += result.duplicates;
    state.totals.invalid += result.invalid;
    state.totals.amount += result.amount;
    state.nextWindowStartMs = nextWindowStart(result, windowEndMs, windowMs);
    upsertMemo({
      topic: input.topic,
      windowSeconds: input.windowSeconds,
      windowsDone: state.windowsDone,
      ordersCounted: state.totals.orders,
      lagRecords: state.lagRecords,
    });

    // Not while stopping: the stop would be lost with this run (a new run starts without it). Runs that
    // continued as new while stopping before this check replay as they did.
    const canContinue = patched('no-continue-as-new-while-stopping') ? !stopping : true;
    const due = runWindows >= windowsPerRun || runUnits >= UNITS_PER_RUN;
    if (canContinue && (due || workflowInfo().continueAsNewSuggested)) {
      await continueAsNew<typeof salesStream>({ ...input, state });
    }
  }
  phase = 'stopped';
  return state;
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
