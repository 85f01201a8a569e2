/** `salesflow backfill`: recompute history for analysts, and reconcile the streaming totals. */
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { BackfillInput, BackfillProgress, BackfillResult, ReconcileResult } from '../../workflows/types';
import { loadConfig } from '../config';
import { isDate } from '../core/days';
import { backfillWorkflowId, reconcileWorkflowId } from '../ids';
import { numberFlag, parse } from './args';
import { alreadyRunning, EXIT, usageError } from './errors';
import { money, Progress, printTable, progressBar } from './output';
import { existingHandle, isRunning, startOrAttach, withClient } from './temporal';

export const BACKFILL_HELP = `Usage:
  salesflow backfill --from YYYY-MM-DD --to YYYY-MM-DD [--source cassandra|csv] [--file data/orders.csv]
                     [--concurrency N] [--wait] [--json]
  salesflow backfill --from ... --to ... --status [--json]     progress of that backfill
  salesflow backfill --from ... --to ... --cancel              stop it cleanly (finished days stay)
  salesflow backfill --reconcile [--apply] [--json]

Recomputes daily sales per (day, source, state) into MySQL table sales_daily, replacing each day in one
transaction. A day is the calendar date written in the order's Created At, in its own offset
('2019-02-11T21:40:27.892+05:30' belongs to 2019-02-11). Raw orders come from Cassandra (default) or, with
--source csv, from an orders CSV. The current customers dimension attributes each order, so a corrected and
reloaded customer re-attributes their history. The same range run twice yields identical rows.

--reconcile rebuilds the running totals from all raw orders, prints the differences per (source, state) from the
streaming totals, and with --apply replaces the totals in one transaction.

Exit codes: 0 ok (reconcile: no differences, or applied), 1 differences found, 2 usage, 3 no such backfill,
4 already running, 5 Temporal unreachable.`;

export async function runBackfill(args: string[]): Promise<number> {
  const p = parse(args, {
    from: { type: 'string' },
    to: { type: 'string' },
    source: { type: 'string' },
    file: { type: 'string', short: 'f' },
    concurrency: { type: 'string' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    status: { type: 'boolean' },
    cancel: { type: 'boolean' },
    reconcile: { type: 'boolean' },
    apply: { type: 'boolean' },
  });
  if (p.help) {
    console.log(BACKFILL_HELP);
    return EXIT.ok;
  }
  const config = loadConfig();
  const json = Boolean(p.values.json);
  if (p.values.reconcile) return runReconcile(Boolean(p.values.apply), json);

  const from = String(p.values.from ?? '');
  const to = String(p.values.to ?? '');
  if (!isDate(from) || !isDate(to)) throw usageError('--from and --to must be dates like 2018-01-01');
  if (to < from) throw usageError(`--to ${to} is before --from ${from}`);
  const source = String(p.values.source ?? (p.values.file ? 'csv' : 'cassandra'));
  if (source !== 'cassandra' && source !== 'csv')
    throw usageError(`--source must be cassandra or csv, got ${source}`);
  if (source === 'csv' && !p.values.file) throw usageError('--source csv needs --file');
  const workflowId = backfillWorkflowId(from, to);

  return withClient(config, async (client) => {
    if (p.values.status || p.values.cancel) {
      const handle = await existingHandle(client, workflowId, 'backfill');
      if (p.values.cancel) {
        if (!(await isRunning(handle))) throw usageError(`backfill ${workflowId} is not running`);
        await handle.cancel();
        const progress = await handle.result().catch(() => null);
        console.error(`backfill cancelled: ${workflowId}${progress ? '' : ''}`);
        return EXIT.ok;
      }
      const progress = await handle.query<BackfillProgress>('progress');
      if (json) console.log(JSON.stringify({ workflowId, ...progress }));
      else
        console.log(
          progressBar(`backfill ${from}..${to} (${progress.phase})`, progress.daysDone, progress.daysTotal),
        );
      return EXIT.ok;
    }

    const input: BackfillInput = {
      from,
      to,
      source,
      file: p.values.file ? path.resolve(String(p.values.file)) : undefined,
      concurrency: numberFlag(p.values.concurrency, 'concurrency', { integer: true, min: 1 }),
    };
    const { handle, started } = await startOrAttach(client, 'backfill', {
      taskQueue: config.taskQueue,
      workflowId,
      args: [input],
      memo: { range: `${from}..${to}`, source, file: input.file ?? null },
      searchAttributes: { SalesflowKind: ['backfill'], SalesflowSource: [source] },
    });
    if (!started) throw alreadyRunning(`this backfill is already running: workflow ${workflowId}`);
    if (!json) console.error(`backfill started: workflow ${workflowId}`);
    if (!p.values.wait) {
      if (json) console.log(JSON.stringify({ workflowId, started }));
      return EXIT.ok;
    }
    const result = await waitBackfill(handle, !json);
    if (json) console.log(JSON.stringify({ workflowId, ...result }));
    return EXIT.ok;
  });
}

export async function waitBackfill(handle: WorkflowHandle, showProgress: boolean): Promise<BackfillResult> {
  const progress = new Progress();
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  while (showProgress && !finished) {
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    if (finished) break;
    const p = await handle.query<BackfillProgress>('progress').catch(() => null);
    if (p) progress.update(progressBar('backfill', p.daysDone, p.daysTotal));
  }
  const r = (await result) as BackfillResult;
  if (showProgress) {
    progress.done(
      `backfill ${r.from}..${r.to}: ${r.daysDone} days, ${r.orders} orders, ${r.rows} rows in sales_daily` +
        (r.unattributed ? `, ${r.unattributed} orders with an unknown customer` : ''),
    );
  }
  return r;
}

async function runReconcile(apply: boolean, json: boolean): Promise<number> {
  const config = loadConfig();
  return withClient(config, async (client) => {
    const { handle, started } = await startOrAttach(client, 'reconcile', {
      taskQueue: config.taskQueue,
      workflowId: reconcileWorkflowId(config),
      args: [{ apply }],
      memo: { apply },
      searchAttributes: { SalesflowKind: ['reconcile'] },
    });
    if (!started) throw alreadyRunning(`a reconcile is already running: workflow ${handle.workflowId}`);
    const r = (await handle.result()) as ReconcileResult;
    if (json) console.log(JSON.stringify(r));
    else {
      console.log(
        `reconcile: ${r.rawOrders} raw orders over ${r.pairs} (source, state) pairs; ` +
          `${r.differences.length} differ from the streaming totals${r.applied ? ' (repaired)' : ''}`,
      );
      if (r.differences.length) {
        printTable(
          ['source', 'state', 'stream orders', 'raw orders', 'stream amount', 'raw amount'],
          r.differences.map((d) => [
            d.source,
            d.state,
            String(d.streamOrders),
            String(d.rawOrders),
            money(d.streamAmount),
            money(d.rawAmount),
          ]),
        );
      }
    }
    return r.differences.length && !r.applied ? EXIT.failure : EXIT.ok;
  });
}
