/**
 * salesStream: the long-running consume-aggregate workflow. For each tumbling window of `windowSeconds` on the
 * Kafka record timestamp it runs one flushWindow activity, from the moment the window opens until it closes:
 * the activity counts what arrives while the window is open (a commit every COMMIT_INTERVAL_MS), and completes
 * the window once it has closed. Operators see one unit of work per window. The MySQL transaction inside
 * flushWindow is the commit point; this workflow only holds window numbers, offsets and counters, and continues
 * as new long before its history grows.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
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

const { flushWindow, startStream } = proxyActivities<Activities>({
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
   * Flushes one window, trying again for as long as it takes: a window's records are only ever counted in
   * order, so there is no skipping it. After each failed activity (a few attempts) the stream is `degraded`
   * with the error, its lag measured against the log end, in the status query and the memo. A record that
   * can never be stored does not end up here (the flush dead-letters it); a service that is down does.
   * Resolves null when a pause or stop interrupts it.
   */
  async function flushWithRetries(windowStartMs: number, windowEndMs: number) {
    const closeAtMs = windowEndMs + graceMs;
    for (;;) {
      try {
        const scope = new CancellationScope();
        live = { scope, closeAtMs };
        const result = await scope
          .run(() =>
            flushWindow.executeWithOptions(
              { summary: `window ${new Date(windowStartMs).toISOString()} +${input.windowSeconds}s` },
              [{ streamId: input.streamId, topic: input.topic, windowStartMs, windowEndMs, closeAtMs }],
            ),
          )
          .finally(() => {
            live = null;
          });
        if (state.degraded) {
          state.degraded = null;
          upsertMemo({ health: 'ok', error: null });
        }
        return result;
      } catch (e) {
        if (isCancellation(e)) {
          if (state.paused || stopping) return null;
          throw e; // the workflow itself was cancelled
        }
        phase = 'degraded';
        state.degraded = {
          windowStartMs,
          sinceMs: state.degraded?.windowStartMs === windowStartMs ? state.degraded.sinceMs : Date.now(),
          failures: (state.degraded?.windowStartMs === windowStartMs ? state.degraded.failures : 0) + 1,
          error: failureMessage(e),
        };
        try {
          state.lagRecords = lagAgainst(await logEnd({ topic: input.topic }), state.offsets);
        } catch {
          // Kafka itself may be what is down: keep the last known lag.
        }
        upsertMemo({ health: 'degraded', error: state.degraded.error, lagRecords: state.lagRecords });
        if (await condition(() => stopping || state.paused, input.retryDelayMs ?? DEGRADED_RETRY_MS))
          return null;
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
    const result = await flushWithRetries(windowStartMs, windowEndMs);
    if (!result) {
      if (stopping) break; // the open (or failing) window is left for the next run, beyond the checkpoint
      continue; // paused: the same window resumes after `resume`
    }
    state.windowsDone += 1;
    runWindows += 1;
    state.offsets = result.offsetsAfter;
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
    if (canContinue && (runWindows >= windowsPerRun || workflowInfo().continueAsNewSuggested)) {
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
