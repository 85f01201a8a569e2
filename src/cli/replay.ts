/** `salesflow replay`: publish a CSV of orders into Kafka through the replayOrders workflow. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { replayOrders } from '../../workflows/replay';
import { type Config, loadConfig } from '../config';
import {
  kindSearchAttributes,
  type PublishOrdersInput,
  type PublishOrdersResult,
  type PublishProgress,
} from '../contract';
import { replayWorkflowId } from '../ids';
import { numberFlag, parse } from './args';
import { alreadyRunning, CliError, EXIT, usageError } from './errors';
import { Progress, progressBar } from './output';
import { startOrAttach, withClient } from './temporal';

export const REPLAY_HELP = `Usage: salesflow replay [--file data/orders.csv] [--rate N | --speedup N | --max] [--wait [--accept-bad]] [--json]

Publishes the orders in a CSV (the seed's orders.csv format) into the orders topic, through the replayOrders
workflow. Pace: --rate N orders/s (default 1, like the seed's producer), --speedup N (the gaps between Created At
values in file order, N times faster) or --max. --wait returns when every row is published, with a progress bar,
then prints the rows read, sent and dead-lettered. A row that is not a valid order (a malformed CSV row, an
unclosed quote, a bad value) goes to the dead-letter topic with its file line and reason, and the rest of the
file still goes; with --wait the first bad rows are listed and the exit code is 1 unless --accept-bad.

Exit codes: 0 ok, 1 rows were refused (with --wait, unless --accept-bad), 2 usage, 4 a replay is already running,
5 Temporal unreachable.`;

/** Data rows in a CSV (lines after the header), counted in one streaming pass for the progress bar. */
export async function countDataRows(file: string): Promise<number> {
  let newlines = 0;
  let lastByte = 10;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
    if (chunk.length) lastByte = chunk[chunk.length - 1];
  }
  const lines = newlines + (lastByte === 10 ? 0 : 1);
  return Math.max(0, lines - 1);
}

export async function replayInput(
  config: Config,
  opts: { file: string; rate?: number; speedup?: number; max?: boolean },
) {
  const file = path.resolve(opts.file);
  if (!fs.existsSync(file)) throw usageError(`orders file not found: ${file}`);
  const input: PublishOrdersInput = {
    file,
    topic: config.ordersTopic,
    rate: opts.rate,
    speedup: opts.speedup,
    max: opts.max,
    totalRows: await countDataRows(file),
  };
  return input;
}

export async function startReplay(client: Client, config: Config, input: PublishOrdersInput) {
  return startOrAttach(client, replayOrders, {
    taskQueue: config.taskQueue,
    workflowId: replayWorkflowId(config),
    args: [input],
    memo: { file: input.file, rows: input.totalRows, pace: paceLabel(input) },
    typedSearchAttributes: kindSearchAttributes('replay'),
    staticSummary: `replay ${path.basename(input.file)} → ${input.topic} (${paceLabel(input)})`,
  });
}

function paceLabel(input: PublishOrdersInput): string {
  if (input.max) return 'max';
  if (input.speedup) return `speedup ${input.speedup}x`;
  return `${input.rate ?? 1} orders/s`;
}

/** The publish activity's last heartbeat, read from the workflow's pending activity. */
export async function replayProgress(handle: WorkflowHandle): Promise<PublishProgress | null> {
  const d = await handle.describe();
  const pending = d.raw.pendingActivities?.[0];
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  if (!payload?.data) return null;
  try {
    return JSON.parse(Buffer.from(payload.data).toString('utf8')) as PublishProgress;
  } catch {
    return null;
  }
}

/** Waits for the replay to finish, drawing a progress bar from its heartbeats. */
export async function waitReplay(handle: WorkflowHandle, totalRows?: number): Promise<PublishOrdersResult> {
  const progress = new Progress();
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  while (!finished) {
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    if (finished) break;
    const p = await replayProgress(handle).catch(() => null);
    if (p) progress.update(progressBar('replay', p.rows, p.totalRows ?? totalRows));
  }
  const r = (await result) as PublishOrdersResult;
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
    throw usageError('choose one pace: --rate N, --speedup N or --max');
  }
  if (p.values['accept-bad'] && !p.values.wait) throw usageError('--accept-bad goes with --wait');
  const config = loadConfig();
  const input = await replayInput(config, {
    file: String(p.values.file ?? 'data/orders.csv'),
    rate: rate ?? (speedup === undefined && !max ? 1 : undefined),
    speedup,
    max,
  });
  return withClient(config, async (client) => {
    const { handle, started } = await startReplay(client, config, input);
    if (!started) throw alreadyRunning(`a replay is already running: workflow ${handle.workflowId}`);
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
      throw new CliError(
        `${result.badRows} of ${result.rows} rows refused, sent to the dead-letter topic ${config.dlqTopic} ` +
          '(--accept-bad exits 0 all the same)',
      );
    return EXIT.ok;
  });
}
