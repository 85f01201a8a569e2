/**
 * Backfill and reconcile activities: recompute history from the raw orders (Cassandra, or a CSV when raw data is
 * missing) with the current customers dimension, replacing each day in `sales_daily` in one transaction.
 */

import { activityInfo, CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { BackfillChunkResult, ReconcileInput, ReconcileResult } from '../src/contract';
import { aggregateBySourceState, joinOrders, SalesBySourceState } from '../src/core/aggregate';
import { eachDay } from '../src/core/days';
import { compareTotals } from '../src/core/reconcile';
import { countedPerLedger } from '../src/core/retention';
import { eventDay } from '../src/core/time';
import type { Order } from '../src/core/types';
import { SalesflowError } from '../src/errors';
import { orderOf, scanAllOrders, scanDay } from '../src/io/cassandra';
import { SinkRejectedError } from '../src/io/driver-errors';
import { replaceDailyRows } from '../src/io/store/daily';
import { addToTotals, readCountedSnapshot } from '../src/io/store/totals';
import type { ActivityDeps } from './deps';
import { readOrdersFile } from './input-file';

/** Raises Temporal's cancellation between days, so a cancelled backfill stops cleanly at a day boundary. */
function checkCancelled(): void {
  const reason = Context.current().cancellationSignal.reason;
  if (Context.current().cancellationSignal.aborted) throw new CancelledFailure(String(reason ?? 'cancelled'));
}

/**
 * A sum MySQL refuses comes from the raw orders, which can be repaired while the backfill retries: the day is
 * retried like any failure, not failed for good.
 */
function retriedWhenRepairable(e: unknown): never {
  throw e instanceof SinkRejectedError ? new SalesflowError(e.message, { retriable: true, cause: e }) : e;
}

export function backfillActivities(deps: ActivityDeps) {
  /** Joins one day's orders with the customers and replaces that day's rows. */
  async function writeDay(day: string, orders: Order[]): Promise<BackfillChunkResult> {
    const { joined, unknown } = joinOrders(orders, await deps.customerDims());
    const rows = aggregateBySourceState(joined);
    await replaceDailyRows(deps.pool, day, rows).catch(retriedWhenRepairable);
    return { days: 1, orders: joined.length, rows: rows.length, unattributed: unknown.length };
  }

  return {
    /** Recomputes the days from..to (inclusive) from Cassandra; resumes after the last day a previous attempt finished. */
    async backfillRange(input: { from: string; to: string }): Promise<BackfillChunkResult> {
      const done = (activityInfo().heartbeatDetails as
        | (BackfillChunkResult & { lastDay: string })
        | undefined) ?? {
        days: 0,
        orders: 0,
        rows: 0,
        unattributed: 0,
        lastDay: '',
      };
      const cassandra = await deps.cassandra();
      for (const day of eachDay(input.from, input.to)) {
        if (day <= done.lastDay) continue;
        checkCancelled();
        const orders: Order[] = [];
        for await (const row of scanDay(cassandra, deps.config.cassandraKeyspace, day))
          orders.push(orderOf(row));
        const r = await writeDay(day, orders);
        done.days += r.days;
        done.orders += r.orders;
        done.rows += r.rows;
        done.unattributed += r.unattributed;
        done.lastDay = day;
        heartbeat(done);
      }
      const { lastDay: _, ...result } = done;
      return result;
    },

    /** Recomputes the days from..to from a CSV of orders (one streaming pass; a repeated order ID counts once). */
    async backfillFromCsv(input: { from: string; to: string; file: string }): Promise<BackfillChunkResult> {
      const byDay = new Map<string, Order[]>();
      const seen = new Set<number>();
      let rowsRead = 0;
      for await (const item of readOrdersFile(input.file)) {
        if (++rowsRead % 50_000 === 0) heartbeat({ rowsRead });
        if (!item.ok || seen.has(item.order.id)) continue;
        seen.add(item.order.id);
        const day = eventDay(item.order.createdAt);
        if (day < input.from || day > input.to) continue;
        const list = byDay.get(day) ?? [];
        if (!list.length) byDay.set(day, list);
        list.push(item.order);
      }
      const total: BackfillChunkResult = { days: 0, orders: 0, rows: 0, unattributed: 0 };
      for (const day of eachDay(input.from, input.to)) {
        checkCancelled();
        const r = await writeDay(day, byDay.get(day) ?? []);
        total.days += 1;
        total.orders += r.orders;
        total.rows += r.rows;
        total.unattributed += r.unattributed;
        heartbeat({ rowsRead, day });
      }
      return total;
    },

    /**
     * Rebuilds the totals from the raw orders, compares them with the streaming totals and optionally repairs
     * them. Safe while the stream runs: the rebuild covers exactly the orders counted in the same snapshot as the
     * totals it is compared with (a window whose raw orders are in Cassandra but not yet committed is left out,
     * as `uncounted`), and the repair adds the differences instead of overwriting, so a window committed
     * meanwhile is neither lost nor counted twice.
     */
    async reconcileTotals(input: ReconcileInput): Promise<ReconcileResult> {
      const { counted, purgedBeforeMs, totals: stream } = await readCountedSnapshot(deps.pool);
      const cassandra = await deps.cassandra();
      const dims = await deps.customerDims();
      // Aggregated as the scan goes: memory stays flat however many raw orders there are.
      const rebuilt = new SalesBySourceState();
      let rawOrders = 0;
      let uncounted = 0;
      let unattributed = 0;
      for await (const row of scanAllOrders(cassandra, deps.config.cassandraKeyspace)) {
        rawOrders += 1;
        if (rawOrders % 10_000 === 0) heartbeat({ scanned: rawOrders });
        // An order older than the ledger's retention horizon was counted, then purged from the ledger.
        if (!countedPerLedger(counted.has(row.orderId), row.kafkaTs, purgedBeforeMs)) {
          uncounted += 1;
          continue;
        }
        const customer = dims.get(row.userId);
        if (customer) rebuilt.add({ order: orderOf(row), ...customer });
        else unattributed += 1;
      }
      const { differences, deltas } = compareTotals(stream, rebuilt.rows());
      if (input.apply) await addToTotals(deps.pool, deltas);
      return {
        rawOrders,
        uncounted,
        unattributed,
        pairs: rebuilt.size,
        differences,
        applied: input.apply && differences.length > 0,
      };
    },
  };
}
