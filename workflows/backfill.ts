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
  CancellationScope,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertMemo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import { monthChunks } from '../src/core/days';
import type {
  BackfillInput,
  BackfillProgress,
  BackfillResult,
  ReconcileInput,
  ReconcileResult,
} from './types';

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

const acts = proxyActivities<ReturnType<typeof activities.createActivities>>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: ['InputFileError'],
  },
});

export async function backfill(input: BackfillInput): Promise<BackfillResult> {
  const chunks = monthChunks(input.from, input.to);
  const progress: BackfillProgress = {
    phase: 'running',
    from: input.from,
    to: input.to,
    source: input.source,
    daysTotal: chunks.reduce((n, c) => n + c.days, 0),
    daysDone: 0,
    chunksTotal: chunks.length,
    chunksDone: 0,
    orders: 0,
    rows: 0,
    unattributed: 0,
  };
  setHandler(backfillProgressQuery, () => progress);
  const add = (r: { days: number; orders: number; rows: number; unattributed: number }) => {
    progress.daysDone += r.days;
    progress.orders += r.orders;
    progress.rows += r.rows;
    progress.unattributed += r.unattributed;
  };

  try {
    if (input.source === 'csv') {
      progress.chunksTotal = 1;
      add(
        await acts.backfillFromCsv.executeWithOptions(
          { summary: `days ${input.from}..${input.to} from ${input.file}` },
          [{ from: input.from, to: input.to, file: input.file! }],
        ),
      );
      progress.chunksDone = 1;
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
          progress.chunksDone += 1;
          // Operators see how far it got in the UI's memo column, not only through the progress query.
          upsertMemo({ daysDone: progress.daysDone, daysTotal: progress.daysTotal, orders: progress.orders });
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, lane));
    }
  } catch (e) {
    progress.phase = isCancellation(e) ? 'cancelled' : 'failed';
    if (isCancellation(e)) {
      // Record how far it got before reporting the cancellation.
      await CancellationScope.nonCancellable(async () =>
        upsertMemo({ daysDone: progress.daysDone, cancelled: true }),
      );
    }
    throw e;
  }
  progress.phase = 'done';
  upsertMemo({ daysDone: progress.daysDone, rows: progress.rows, orders: progress.orders });
  return { ...progress };
}

export async function reconcile(input: ReconcileInput): Promise<ReconcileResult> {
  return acts.reconcileTotals(input);
}
