/** Replays: the replayOrders workflow's input, its start (or the running one) and its progress. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Config } from '../../src/config';
import { kindSearchAttributes, type PublishOrdersInput, type PublishProgress } from '../../src/contract';
import { UsageError } from '../../src/errors';
import { replayWorkflowId } from '../../src/ids';
import { replayOrders } from '../../workflows/replay';
import { startOrAttach } from './temporal';

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
  if (!fs.existsSync(file)) throw new UsageError(`orders file not found: ${file}`);
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
