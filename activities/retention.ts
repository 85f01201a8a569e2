/** The exactly-once ledger's retention purge: chunked deletes with heartbeats. */
import { activityInfo, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { PurgeCountedOrdersInput, PurgeCountedResult } from '../src/contract';
import { deleteCountedBefore, deleteUnitRowsBefore, markPurgedBefore } from '../src/io/store/retention';
import type { ActivityDeps } from './deps';

export function retentionActivities(deps: ActivityDeps) {
  return {
    /**
     * Deletes the ledger rows whose window started before `beforeMs`, `chunkRows` per statement, until a
     * statement finds fewer, then the windows' unit rows before the same horizon: each chunk commits alone, so the stream's commits wait at most one chunk. A retried
     * attempt picks up the counts from its last heartbeat (the rows it deleted stay deleted).
     */
    async purgeCountedOrders(input: PurgeCountedOrdersInput): Promise<PurgeCountedResult> {
      const done = (activityInfo().heartbeatDetails as PurgeCountedResult | undefined) ?? {
        beforeMs: input.beforeMs,
        deleted: 0,
        statements: 0,
      };
      await markPurgedBefore(deps.pool, input.beforeMs);
      for (;;) {
        const signal = Context.current().cancellationSignal;
        if (signal.aborted) throw new CancelledFailure(String(signal.reason ?? 'cancelled'));
        const n = await deleteCountedBefore(deps.pool, input.beforeMs, input.chunkRows);
        done.deleted += n;
        done.statements += 1;
        heartbeat(done);
        if (n < input.chunkRows) break;
      }
      // The windows' unit rows before the same horizon, in chunks of the same size.
      done.unitRows ??= 0;
      for (;;) {
        const n = await deleteUnitRowsBefore(deps.pool, input.beforeMs, input.chunkRows);
        done.unitRows += n;
        heartbeat(done);
        if (n < input.chunkRows) return done;
      }
    },
  };
}
