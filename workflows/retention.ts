/**
 * purgeCounted: the exactly-once ledger's retention, started by the Temporal Schedule
 * `salesflow-retention-<database>` (app/ops/retention.ts). It computes the horizon from the workflow's clock and
 * runs the purge activity, which deletes the older rows in chunks and heartbeats its progress.
 */
import { proxyActivities, setCurrentDetails, upsertMemo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PURGE_CHUNK_ROWS, type PurgeCountedInput, type PurgeCountedResult } from '../src/contract';
import { retentionHorizonMs } from '../src/core/retention';

const acts = proxyActivities<Activities>({
  // Inside the schedule's 55-minute run timeout: a backlog bigger than this is finished by the next runs (what a
  // run deleted stays deleted).
  startToCloseTimeout: '50 minutes',
  // Each chunk heartbeats; a worker that dies mid-purge is noticed within this and the purge resumes elsewhere.
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function purgeCounted(input: PurgeCountedInput): Promise<PurgeCountedResult> {
  // Date.now() is the workflow's deterministic clock: the time of the task that started this run.
  const beforeMs = retentionHorizonMs(Date.now(), input.retentionDays, input.windowSeconds);
  const horizon = new Date(beforeMs).toISOString();
  const result = await acts.purgeCountedOrders.executeWithOptions(
    { summary: `delete counted_orders before ${horizon} (${input.retentionDays} days)` },
    [{ beforeMs, chunkRows: input.chunkRows ?? PURGE_CHUNK_ROWS }],
  );
  upsertMemo({ horizon, deleted: result.deleted, statements: result.statements });
  setCurrentDetails(
    `${result.deleted} ledger rows before ${horizon} deleted in ${result.statements} statements`,
  );
  return result;
}
