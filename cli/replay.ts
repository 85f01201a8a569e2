/** `salesflow replay`: publish a CSV of orders into Kafka through the replayOrders workflow. */
import type { WorkflowHandle } from '@temporalio/client';
import { resultWithProgress } from '../app/ops/progress';
import { replayInput, replayProgress, startReplay } from '../app/ops/replay';
import { withClient } from '../app/ops/temporal';
import { numberFlag, parse } from '../src/args';
import { loadConfig } from '../src/config';
import type { PublishOrdersResult, PublishProgress } from '../src/contract';
import { AlreadyRunningError, EXIT, SalesflowError, UsageError } from '../src/errors';
import { Progress, progressBar } from '../src/terminal';

export const REPLAY_HELP = `Usage: salesflow replay [--file data/orders.csv] [--rate N | --speedup N | --max] [--wait [--accept-bad]] [--json]

Publishes the orders in a CSV (the seed's orders.csv format) into the orders topic, through the replayOrders
workflow. Pace: --rate N orders/s (default 1, like the seed's producer), --speedup N (the gaps between Created At
values in file order, N times faster) or --max. --wait returns when every row is published, with a progress bar,
then prints the rows read, sent and dead-lettered. A row that is not a valid order (a malformed CSV row, an
unclosed quote, a bad value) goes to the dead-letter topic with its file line and reason, and the rest of the
file still goes; with --wait the first bad rows are listed and the exit code is 1 unless --accept-bad.

Exit codes: 0 ok, 1 rows were refused (with --wait, unless --accept-bad), 2 usage, 4 a replay is already running,
5 Temporal unreachable.`;

/** Waits for the replay to finish, drawing a progress bar from its heartbeats. */
export async function waitReplay(handle: WorkflowHandle, totalRows?: number): Promise<PublishOrdersResult> {
  const progress = new Progress();
  const r = await resultWithProgress<PublishOrdersResult, PublishProgress>(
    handle,
    () => replayProgress(handle),
    (p) => progress.update(progressBar('replay', p.rows, p.totalRows ?? totalRows)),
  );
  progress.done(replaySummary(r));
  return r;
}

/** The summary line: rows read, sent and dead-lettered. */
export function replaySummary(r: PublishOrdersResult): string {
  return (
    `replay: ${r.rows} rows read, ${r.published} orders sent, ${r.badRows} bad rows dead-lettered, ` +
    `${r.seconds.toFixed(1)} s${r.resumedFrom ? ` (resumed from row ${r.resumedFrom})` : ''}`
  );
}

/** Each listed bad row on a line of its own (line number and reason), and how many more there were. */
export function badRowLines(r: PublishOrdersResult): string[] {
  const listed = r.firstBadRows ?? [];
  const lines = listed.map((b) => `replay: line ${b.line}: ${b.reason}`);
  if (r.badRows > listed.length) lines.push(`replay: … and ${r.badRows - listed.length} more bad rows`);
  return lines;
}

export async function runReplay(args: string[]): Promise<number> {
  const p = parse(args, {
    file: { type: 'string', short: 'f' },
    rate: { type: 'string' },
    speedup: { type: 'string' },
    max: { type: 'boolean' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
    'accept-bad': { type: 'boolean' },
  });
  if (p.help) {
    console.log(REPLAY_HELP);
    return EXIT.ok;
  }
  const rate = numberFlag(p.values.rate, 'rate', { min: 0.001 });
  const speedup = numberFlag(p.values.speedup, 'speedup', { min: 0.001 });
  const max = Boolean(p.values.max);
  if ([rate !== undefined, speedup !== undefined, max].filter(Boolean).length > 1) {
    throw new UsageError('choose one pace: --rate N, --speedup N or --max');
  }
  if (p.values['accept-bad'] && !p.values.wait) throw new UsageError('--accept-bad goes with --wait');
  const config = loadConfig();
  const input = await replayInput(config, {
    file: String(p.values.file ?? 'data/orders.csv'),
    rate: rate ?? (speedup === undefined && !max ? 1 : undefined),
    speedup,
    max,
  });
  return withClient(config, async (client) => {
    const { handle, started } = await startReplay(client, config, input);
    if (!started) throw new AlreadyRunningError(`a replay is already running: workflow ${handle.workflowId}`);
    if (!p.values.json)
      console.error(`replay started: workflow ${handle.workflowId}, ${input.totalRows} rows`);
    if (!p.values.wait) {
      if (p.values.json)
        console.log(JSON.stringify({ workflowId: handle.workflowId, started, rows: input.totalRows }));
      return EXIT.ok;
    }
    const result = await waitReplay(handle, input.totalRows);
    if (p.values.json) console.log(JSON.stringify({ workflowId: handle.workflowId, ...result }));
    else for (const line of badRowLines(result)) console.error(line);
    if (result.badRows && !p.values['accept-bad'])
      throw new SalesflowError(
        `${result.badRows} of ${result.rows} rows refused, sent to the dead-letter topic ${config.dlqTopic} ` +
          '(--accept-bad exits 0 all the same)',
      );
    return EXIT.ok;
  });
}
