/** `salesflow backfill`: recompute history for analysts, and reconcile the streaming totals. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { backfillStatus, queryProgress } from '../app/ops/backfill';
import { resultOf, resultWithProgress } from '../app/ops/progress';
import { existingHandle, startOrAttach, withClient } from '../app/ops/temporal';
import { numberFlag, parse } from '../src/args';
import { loadConfig } from '../src/config';
import {
  type BackfillInput,
  type BackfillProgress,
  type BackfillResult,
  kindSearchAttributes,
  type ReconcileResult,
} from '../src/contract';
import { backfillRangeProblem } from '../src/core/days';
import { AlreadyRunningError, EXIT, NotFoundError, UsageError } from '../src/errors';
import { backfillWorkflowId, reconcileWorkflowId } from '../src/ids';
import { money, Progress, printTable, progressBar } from '../src/terminal';
import { backfill, reconcile } from '../workflows/backfill';

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

The workflow ID is salesflow-backfill-<database>-<from>-<to> (the MySQL database it writes): a second trigger of
the same range reports the running one (exit 4) instead of starting a twin.

--reconcile rebuilds the running totals from the raw orders the stream has counted, prints the differences per
(source, state) from the streaming totals, and with --apply adds the corrections in one transaction (safe while
the stream runs).

Exit codes: 0 ok (reconcile: no differences, or repaired), 1 the backfill failed or reconcile found differences,
2 usage, 3 no such backfill (--status) or none running (--cancel), 4 already running, 5 Temporal unreachable.`;

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
  if (p.values.apply) throw new UsageError('--apply goes with --reconcile');

  const from = String(p.values.from ?? '');
  const to = String(p.values.to ?? '');
  const rangeProblem = backfillRangeProblem(from, to);
  if (rangeProblem) throw new UsageError(rangeProblem);
  const source = String(p.values.source ?? (p.values.file ? 'csv' : 'cassandra'));
  if (source !== 'cassandra' && source !== 'csv')
    throw new UsageError(`--source must be cassandra or csv, got ${source}`);
  if (source === 'csv' && !p.values.file) throw new UsageError('--source csv needs --file');
  const file = p.values.file ? path.resolve(String(p.values.file)) : undefined;
  if (source === 'csv' && !p.values.status && !p.values.cancel && !fs.existsSync(file!))
    throw new UsageError(`orders file not found: ${file}`);
  const concurrency = numberFlag(p.values.concurrency, 'concurrency', { integer: true, min: 1 });
  const workflowId = backfillWorkflowId(config, from, to);

  return withClient(config, async (client) => {
    if (p.values.status) {
      const handle = await existingHandle(client, workflowId, 'backfill');
      const progress = await backfillStatus(client, handle);
      if (json) console.log(JSON.stringify({ workflowId, ...progress }));
      else
        console.log(
          progressBar(`backfill ${from}..${to} (${progress.phase})`, progress.daysDone, progress.daysTotal),
        );
      return EXIT.ok;
    }
    if (p.values.cancel) {
      const handle = await existingHandle(client, workflowId, 'backfill');
      const before = (await handle.describe()).status.name;
      if (before !== 'RUNNING')
        throw new NotFoundError(`no running backfill ${workflowId} (it is ${before.toLowerCase()})`);
      await handle.cancel();
      // It stops at the next day boundary of every running month; without a worker, when one picks it up.
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        handle.result().then(
          () => true,
          () => true,
        ),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), 60_000);
        }),
      ]);
      clearTimeout(timer);
      const progress = await backfillStatus(client, handle);
      if (json) console.log(JSON.stringify({ workflowId, cancelRequested: true, ...progress }));
      else
        console.error(
          ended
            ? `backfill ${progress.phase}: ${workflowId} (${progress.daysDone} of ${progress.daysTotal} days done)`
            : `backfill cancel requested: ${workflowId} (it stops when a worker picks it up)`,
        );
      return EXIT.ok;
    }

    const input: BackfillInput = { from, to, source, file, concurrency };
    const { handle, started } = await startOrAttach(client, backfill, {
      taskQueue: config.taskQueue,
      workflowId,
      args: [input],
      memo: { range: `${from}..${to}`, source, file: input.file ?? null },
      typedSearchAttributes: kindSearchAttributes('backfill', source),
      staticSummary: `backfill ${from}..${to} from ${source === 'csv' ? file : 'Cassandra'} into ${config.mysqlDatabase}.sales_daily`,
    });
    if (!started) throw new AlreadyRunningError(`this backfill is already running: workflow ${workflowId}`);
    if (!json) console.error(`backfill started: workflow ${workflowId}`);
    if (!p.values.wait) {
      if (json) console.log(JSON.stringify({ workflowId, started }));
      return EXIT.ok;
    }
    const result = await waitBackfill(client, handle, !json);
    if (json) console.log(JSON.stringify({ workflowId, ...result }));
    return EXIT.ok;
  });
}

export async function waitBackfill(
  client: Client,
  handle: WorkflowHandle,
  showProgress: boolean,
): Promise<BackfillResult> {
  if (!showProgress) return resultOf<BackfillResult>(handle);
  const progress = new Progress();
  const r = await resultWithProgress<BackfillResult, BackfillProgress>(
    handle,
    () => queryProgress(client, handle),
    (p) => progress.update(progressBar('backfill', p.daysDone, p.daysTotal)),
  );
  progress.done(
    `backfill ${r.from}..${r.to}: ${r.daysDone} days, ${r.orders} orders, ${r.rows} rows in sales_daily` +
      (r.unattributed ? `, ${r.unattributed} orders with an unknown customer` : ''),
  );
  return r;
}

async function runReconcile(apply: boolean, json: boolean): Promise<number> {
  const config = loadConfig();
  return withClient(config, async (client) => {
    const { handle, started } = await startOrAttach(client, reconcile, {
      taskQueue: config.taskQueue,
      workflowId: reconcileWorkflowId(config),
      args: [{ apply }],
      memo: { apply },
      typedSearchAttributes: kindSearchAttributes('reconcile'),
      staticSummary: `reconcile the running totals in ${config.mysqlDatabase}${apply ? ' and repair them' : ''}`,
    });
    if (!started)
      throw new AlreadyRunningError(`a reconcile is already running: workflow ${handle.workflowId}`);
    const r = await resultOf<ReconcileResult>(handle);
    if (json) console.log(JSON.stringify(r));
    else {
      console.log(
        `reconcile: ${r.rawOrders} raw orders over ${r.pairs} (source, state) pairs; ` +
          `${r.differences.length} differ from the streaming totals${r.applied ? ' (repaired)' : ''}` +
          (r.uncounted ? `; ${r.uncounted} raw orders not counted yet (a window in flight) left out` : ''),
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
