/**
 * salesStream: the long-running consume-aggregate workflow. For each tumbling window of `windowSeconds` on the
 * Kafka record timestamp it runs one flushUnit activity per unit of the window (a unit is a set of partitions),
 * from the moment the window opens until it closes: each counts what arrives while the window is open (a commit
 * every COMMIT_INTERVAL_MS), and completes its share of the window once it has closed. The MySQL transaction
 * inside flushUnit is the commit point; this workflow only holds window numbers, offsets and counters, and
 * continues as new long before its history grows.
 *
 * Its body is a loop over named steps: await the next window, flush its units, record it, then decide in ONE
 * place whether to continue as new. Everything a run knows is in one object (Run) that the steps are handed; the
 * signal handlers only set its flags and cancel the window being consumed.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  CancelledFailure,
  condition,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type FlushUnitInput,
  type FlushUnitResult,
  pauseSignal,
  resumeSignal,
  type SalesStreamInput,
  type StreamState,
  type StreamStatus,
  statusQuery,
  stopSignal,
} from '../src/contract';
import {
  afterWindow,
  degradedAfter,
  failureMessage,
  initialStreamState,
  lagAgainst,
  mergeUnitResults,
  unitsFor,
} from './stream-state';

const { flushUnit, startStream } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  // A pause or stop cancels the window being consumed; wait for the activity to stop before going on.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: '20 seconds',
  // A few quick attempts inside Temporal (a worker restarting, a leader moving); past them the workflow marks
  // the stream degraded with the error, and keeps trying the same window (see flushUnitUntilDone).
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

/** Everything one run of the workflow knows: the stream's state (carried over continue-as-new) and its own. */
interface Run {
  readonly input: SalesStreamInput;
  state: StreamState;
  /** Set by the stop signal: every closed window is flushed, then the workflow completes. */
  stopping: boolean;
  phase: StreamStatus['phase'];
  /** Windows and flush activities of this run (continue-as-new bounds them). */
  windows: number;
  units: number;
  /** The window being consumed, while its units run: pause and stop cancel it rather than wait for its close. */
  live: { scope: CancellationScope; closeAtMs: number } | null;
}

/** A window's bounds: consumed from its start, closed (complete) at its end plus the grace. */
interface Window {
  startMs: number;
  endMs: number;
  closeAtMs: number;
}

/** How flushing a window ended. */
type WindowOutcome =
  | { kind: 'done'; result: FlushUnitResult }
  /** A pause or stop interrupted it: the units' committed parts stay, the same window resumes later. */
  | { kind: 'interrupted' }
  /** A unit kept failing while the history grew long: go on in a new run. */
  | { kind: 'continue-as-new' };

/** Thrown by a failing unit's retries when Temporal suggests continue-as-new; the main loop decides. */
class ContinueAsNewDue extends Error {}

export async function salesStream(input: SalesStreamInput): Promise<StreamState> {
  const run: Run = {
    input,
    state: input.state ?? initialStreamState(),
    stopping: false,
    phase: 'starting',
    windows: 0,
    units: 0,
    live: null,
  };
  handleSignals(run);
  if (run.state.nextWindowStartMs === null) await begin(run);
  for (;;) {
    const window = await awaitWindow(run);
    if (window === 'stop') break;
    if (window === 'recheck') continue;
    run.phase = 'flushing';
    const outcome = await consumeWindow(run, window);
    if (outcome.kind === 'done') recordWindow(run, window, outcome.result);
    // Stopping: the open (or failing) window is left for the next run, beyond the checkpoint.
    else if (run.stopping) break;
    if (continueAsNewNow(run, outcome))
      await continueAsNew<typeof salesStream>({ ...input, state: run.state });
  }
  run.phase = 'stopped';
  return run.state;
}

/** Pause, resume and stop set the run's flags; pause and stop also cancel the window being consumed. */
function handleSignals(run: Run): void {
  setHandler(pauseSignal, () => {
    run.state.paused = true;
    run.live?.scope.cancel(); // its committed parts stay; the same window resumes from the checkpoint
  });
  setHandler(resumeSignal, () => {
    run.state.paused = false;
  });
  setHandler(stopSignal, () => {
    run.stopping = true;
    if (run.live && Date.now() < run.live.closeAtMs) run.live.scope.cancel(); // a closed window is finished first
  });
  setHandler(statusQuery, () => ({
    ...run.state,
    streamId: run.input.streamId,
    topic: run.input.topic,
    windowSeconds: run.input.windowSeconds,
    stopping: run.stopping,
    // Paused once the window being consumed has stopped (its activity acknowledges the cancel within seconds).
    phase: run.state.paused && !run.stopping && !run.live ? 'paused' : run.phase,
    runWindows: run.windows,
  }));
}

/** A new stream: where its data begins, and the offsets and partitions it starts from. */
async function begin(run: Run): Promise<void> {
  const { streamId, topic, windowSeconds, maxUnits } = run.input;
  const start = await startStream({ streamId, topic, windowSeconds });
  run.state = {
    ...run.state,
    nextWindowStartMs: start.firstWindowStartMs,
    offsets: start.offsets,
    partitions: start.partitions,
    units: unitsFor(start.partitions, maxUnits),
  };
}

/**
 * Waits until the next window may be consumed (from the moment it opens), holding while paused. 'stop': stopping,
 * and every closed window is flushed (the open one is left for the next run, its records in Kafka beyond the
 * checkpoint). 'recheck': a pause or stop woke the wait.
 */
async function awaitWindow(run: Run): Promise<Window | 'stop' | 'recheck'> {
  if (run.state.paused && !run.stopping) {
    run.phase = 'paused';
    await condition(() => !run.state.paused || run.stopping);
  }
  const startMs = run.state.nextWindowStartMs ?? 0;
  const endMs = startMs + run.input.windowSeconds * 1000;
  const window = { startMs, endMs, closeAtMs: endMs + (run.input.graceMs ?? 500) };
  if (run.stopping && window.closeAtMs > Date.now()) return 'stop';
  const opensInMs = startMs - Date.now();
  if (opensInMs > 0) {
    run.phase = 'waiting';
    if (await condition(() => run.stopping || run.state.paused, opensInMs)) return 'recheck';
  }
  return window;
}

/**
 * Consumes one window: its units (partition sets) at once, each on whichever worker picks it up, each tried again
 * for as long as it takes (flushUnitUntilDone). Every unit settles before the window goes on (a pause waits for
 * all of them to stop): no unit of this window may still be committing when the same window starts again.
 */
async function consumeWindow(run: Run, window: Window): Promise<WindowOutcome> {
  const units = run.state.units ?? 1;
  const scope = new CancellationScope();
  run.live = { scope, closeAtMs: window.closeAtMs };
  try {
    const settled = await scope.run(() =>
      Promise.allSettled(
        Array.from({ length: units }, (_, unit) =>
          flushUnitUntilDone(run, {
            streamId: run.input.streamId,
            topic: run.input.topic,
            windowStartMs: window.startMs,
            windowEndMs: window.endMs,
            closeAtMs: window.closeAtMs,
            ...(units > 1 ? { unit, units } : {}),
          }),
        ),
      ),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed?.reason instanceof ContinueAsNewDue) return { kind: 'continue-as-new' };
    if (failed) throw failed.reason;
    if (run.state.degraded) {
      run.state = { ...run.state, degraded: null };
      upsertMemo({ health: 'ok', error: null });
    }
    const results = settled.map((r) => (r as PromiseFulfilledResult<FlushUnitResult>).value);
    return { kind: 'done', result: mergeUnitResults(results) };
  } catch (e) {
    if (isCancellation(e) && (run.state.paused || run.stopping)) return { kind: 'interrupted' };
    throw e; // the workflow itself was cancelled
  } finally {
    run.live = null;
  }
}

/**
 * One unit of the window, tried again for as long as it takes: a partition's records are only ever counted in
 * order, so there is no skipping a window. After each failed activity (a few attempts) the stream is `degraded`
 * with the error, its lag measured against the log end, in the status query and the memo. A record that can never
 * be stored does not end up here (the flush dead-letters it); a service that is down does.
 */
async function flushUnitUntilDone(run: Run, unit: FlushUnitInput): Promise<FlushUnitResult> {
  const where = unit.units ? ` · unit ${(unit.unit ?? 0) + 1}/${unit.units}` : '';
  const summary = `window ${new Date(unit.windowStartMs).toISOString()} +${run.input.windowSeconds}s${where}`;
  for (;;) {
    try {
      return await flushUnit.executeWithOptions({ summary }, [unit]);
    } catch (e) {
      if (isCancellation(e)) throw e;
      await markDegraded(run, unit.windowStartMs, failureMessage(e));
      // In the window's scope: a pause or stop cancels this wait like the units' activities.
      await condition(() => run.stopping || run.state.paused, run.input.retryDelayMs ?? DEGRADED_RETRY_MS);
      if (run.stopping || run.state.paused) throw new CancelledFailure('window interrupted');
      if (workflowInfo().continueAsNewSuggested) throw new ContinueAsNewDue();
      run.phase = 'flushing';
    }
  }
}

/** The stream is degraded on this window: the error and the lag against the log end, in the state and the memo. */
async function markDegraded(run: Run, windowStartMs: number, error: string): Promise<void> {
  run.phase = 'degraded';
  run.state = { ...run.state, degraded: degradedAfter(run.state.degraded, windowStartMs, error, Date.now()) };
  try {
    const end = await logEnd({ topic: run.input.topic });
    run.state = { ...run.state, lagRecords: lagAgainst(end, run.state.offsets) };
  } catch {
    // Kafka itself may be what is down: keep the last known lag.
  }
  upsertMemo({ health: 'degraded', error, lagRecords: run.state.lagRecords });
}

/** A completed window into the state, the run's counts and the memo. */
function recordWindow(run: Run, window: Window, result: FlushUnitResult): void {
  const windowMs = window.endMs - window.startMs;
  run.windows += 1;
  run.units += run.state.units ?? 1;
  run.state = afterWindow(run.state, result, { endMs: window.endMs, windowMs, maxUnits: run.input.maxUnits });
  upsertMemo({
    topic: run.input.topic,
    windowSeconds: run.input.windowSeconds,
    windowsDone: run.state.windowsDone,
    ordersCounted: run.state.totals.orders,
    lagRecords: run.state.lagRecords,
  });
}

/**
 * THE place that decides to continue as new: after a window, once the run has done windowsPerRun windows or
 * UNITS_PER_RUN activities or Temporal suggests it; or when a failing unit's retries found the history long.
 * Never while stopping: the stop would be lost with this run (a new run starts without it).
 */
function continueAsNewNow(run: Run, outcome: WindowOutcome): boolean {
  if (run.stopping) return false;
  if (outcome.kind === 'continue-as-new') return true;
  if (outcome.kind === 'interrupted') return false;
  const due = run.windows >= (run.input.windowsPerRun ?? 500) || run.units >= UNITS_PER_RUN;
  return due || workflowInfo().continueAsNewSuggested;
}
