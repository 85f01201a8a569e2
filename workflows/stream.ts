/**
 * salesStream: the long-running consume-aggregate workflow. For each tumbling window of `windowSeconds` on the
 * Kafka record timestamp it runs flushWindow for the window just closed, then sleeps to the next boundary.
 * The MySQL transaction inside flushWindow is the commit point; this workflow only holds window numbers,
 * offsets and counters, and continues as new long before its history grows.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { SalesStreamInput, StreamState, StreamStatus } from './types';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Flushes every window that is already due, then completes. */
export const stopSignal = defineSignal('stop');
export const statusQuery = defineQuery<StreamStatus>('status');

const { flushWindow, startStream } = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', backoffCoefficient: 2 },
});

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
  };
}

export async function salesStream(input: SalesStreamInput): Promise<StreamState> {
  const windowMs = input.windowSeconds * 1000;
  const graceMs = input.graceMs ?? 1000;
  const windowsPerRun = input.windowsPerRun ?? 500;
  const state: StreamState = input.state ?? initialStreamState();
  let stopping = false;
  let runWindows = 0;
  let phase: StreamStatus['phase'] = 'starting';

  setHandler(pauseSignal, () => {
    state.paused = true;
  });
  setHandler(resumeSignal, () => {
    state.paused = false;
  });
  setHandler(stopSignal, () => {
    stopping = true;
  });
  setHandler(statusQuery, () => ({
    ...state,
    streamId: input.streamId,
    topic: input.topic,
    windowSeconds: input.windowSeconds,
    stopping,
    phase: state.paused && !stopping ? 'paused' : phase,
    runWindows,
  }));

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
    const dueInMs = windowEndMs + graceMs - Date.now();
    if (dueInMs > 0) {
      if (stopping) break; // stop: everything due has been flushed
      phase = 'waiting';
      // Wake early on pause/stop; a window is only flushed once it is due.
      if (await condition(() => stopping || state.paused, dueInMs)) continue;
    }

    phase = 'flushing';
    const result = await flushWindow.executeWithOptions(
      { summary: `window ${new Date(windowStartMs).toISOString()} +${input.windowSeconds}s` },
      [{ streamId: input.streamId, topic: input.topic, windowStartMs, windowEndMs }],
    );
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

    if (runWindows >= windowsPerRun || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof salesStream>({ ...input, state });
    }
  }
  phase = 'stopped';
  return state;
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
  const floor = (t: number) => Math.floor(t / windowMs) * windowMs;
  if (result.nextRecordMs !== null) return Math.max(windowEndMs, floor(result.nextRecordMs));
  return Math.max(windowEndMs, floor(result.emptyUntilMs));
}
