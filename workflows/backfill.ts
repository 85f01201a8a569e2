/**
 * backfill: recomputes daily sales per (day, source, state) for a date range into MySQL `sales_daily`, from the
 * raw orders in Cassandra (or a CSV when raw data is missing), with the current customers dimension.
 * Fans out one activity per month with bounded concurrency; each activity heartbeats the days it finished, so a
 * failing day is retried without redoing the finished ones. Cancelling stops between days.
 *
 * reconcile: rebuilds the running totals from all raw orders and compares them with the streaming totals.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type BackfillChunkResult,
  type BackfillInput,
  type BackfillProgress,
  type BackfillResult,
  backfillProgressQuery,
  INVALID_INPUT,
  type ReconcileInput,
  type ReconcileResult,
} from '../src/contract';
import { backfillRangeProblem, monthChunks } from '../src/core/days';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    // About three minutes of retries (a restarting database survives them); then the backfill fails with the
    // reason instead of retrying for ever, and scripts waiting on it get an answer. An error no retry can fix (an
    // input file that is not an orders CSV) fails at once: the activity's error says so.
    maximumAttempts: 10,
  },
});

export async function backfill(input: BackfillInput): Promise<BackfillResult> {
  // Checked here too, not only in our CLI: a range started from Temporal's CLI or UI must not make this
  // deterministic code loop without end (or schedule a million activities).
  const rangeProblem = backfillRangeProblem(input.from, input.to);
  if (rangeProblem) throw ApplicationFailure.nonRetryable(rangeProblem, INVALID_INPUT);
  const chunks = monthChunks(input.from, input.to);
  const progress: BackfillProgress = {
    phase: 'running',
    from: input.from,
    to: input.to,
    source: input.source,
    daysTotal: chunks.reduce((n, c) => n + c.days, 0),
    daysDone: 0,
    chunksTotal: input.source === 'csv' ? 1 : chunks.length,
    chunksDone: 0,
    orders: 0,
    rows: 0,
    unattributed: 0,
  };
  setHandler(backfillProgressQuery, () => progress);
  // The memo is the UI's view of the progress (and the CLI's when no worker answers the query).
  const report = () => {
    upsertMemo({ ...progress, range: `${input.from}..${input.to}`, file: input.file ?? null });
    setCurrentDetails(
      `${progress.phase}: ${progress.daysDone} of ${progress.daysTotal} days ` +
        `(${progress.chunksDone} of ${progress.chunksTotal} parts), ${progress.orders} orders, ${progress.rows} rows`,
    );
  };
  // Backfills started before the memo was written at the start replay without it.
  if (patched('backfill-memo-at-start')) report();
  const add = (r: BackfillChunkResult) => {
    progress.daysDone += r.days;
    progress.orders += r.orders;
    progress.rows += r.rows;
    progress.unattributed += r.unattributed;
    progress.chunksDone += 1;
  };

  try {
    if (input.source === 'csv') {
      add(
        await acts.backfillFromCsv.executeWithOptions(
          { summary: `days ${input.from}..${input.to} from ${input.file}` },
          [{ from: input.from, to: input.to, file: input.file! }],
        ),
      );
    } else {
      const concurrency = Math.max(1, input.concurrency ?? 4);
      let next = 0;
      const lane = async () => {
        while (next < chunks.length) {
          const chunk = chunks[next++];
          add(
            await acts.backfillRange.executeWithOptions({ summary: `days ${chunk.from}..${chunk.to}` }, [
              { from: chunk.from, to: chunk.to },
            ]),
          );
          report();
        }
      };
      // A month that fails for good cancels the months still running (they stop at a day boundary), so the
      // backfill ends with no activity left behind.
      await CancellationScope.cancellable(async () => {
        const lanes = Array.from({ length: Math.min(concurrency, chunks.length) }, lane);
        try {
          await Promise.all(lanes);
        } catch (e) {
          CancellationScope.current().cancel();
          await Promise.allSettled(lanes);
          throw e;
        }
      });
    }
  } catch (e) {
    progress.phase = isCancellation(e) ? 'cancelled' : 'failed';
    // Record how far it got before reporting the failure or cancellation.
    await CancellationScope.nonCancellable(async () => report());
    throw e;
  }
  progress.phase = 'done';
  report();
  return { ...progress };
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  const result = await acts.reconcileTotals.executeWithOptions(
    { summary: input.apply ? 'rebuild totals from raw orders, repair' : 'rebuild totals from raw orders' },
    [input],
  );
  upsertMemo({
    rawOrders: result.rawOrders,
    differences: result.differences.length,
    applied: result.applied,
  });
  return result;
}
