/** The stream: its workflow's input, its start (or the running one), its status, and waiting until counted. */
import type { Client } from '@temporalio/client';
import type { Config } from '../../src/config';
import {
  kindSearchAttributes,
  type SalesStreamInput,
  type StreamStatus,
  statusQuery,
} from '../../src/contract';
import { streamWorkflowId } from '../../src/ids';
import { createKafka, highWatermarks } from '../../src/io/kafka';
import { createPool } from '../../src/io/mysql';
import { readCheckpoint } from '../../src/io/store/stream';
import { salesStream } from '../../workflows/stream';
import { ensureRetentionSchedule } from './retention';
import { existingHandle, startOrAttach } from './temporal';

export function streamInput(config: Config): SalesStreamInput {
  return {
    streamId: streamWorkflowId(config),
    topic: config.ordersTopic,
    windowSeconds: config.windowSeconds,
    ...(config.streamUnits ? { maxUnits: config.streamUnits } : {}),
  };
}

/**
 * Starts the stream workflow, or finds the running one. Either way it also writes the ledger's retention schedule
 * (created or updated), so running `stream start` again applies a changed COUNTED_RETENTION_DAYS. (The stream
 * activity `startStream` is another thing: the workflow's first step, reading where the stream starts.)
 */
export async function startStreamWorkflow(client: Client, config: Config) {
  const input = streamInput(config);
  await ensureRetentionSchedule(client, config);
  return startOrAttach(client, salesStream, {
    taskQueue: config.taskQueue,
    workflowId: input.streamId,
    args: [input],
    memo: { topic: config.ordersTopic, windowSeconds: config.windowSeconds, consumer: config.consumerName },
    typedSearchAttributes: kindSearchAttributes('stream'),
    staticSummary: `stream ${config.ordersTopic} → ${config.mysqlDatabase}, ${config.windowSeconds}-second windows`,
  });
}

export async function streamStatus(client: Client, config: Config): Promise<StreamStatus> {
  const handle = await existingHandle(client, streamWorkflowId(config), 'stream');
  return handle.query(statusQuery);
}

/** Resolves once the stream's committed offsets reach the topic's end as it is now; returns the seconds waited. */
export async function waitCounted(
  config: Config,
  opts: { timeoutMs?: number; onTick?: (lag: number) => void } = {},
) {
  const kafka = createKafka(config);
  const target = await highWatermarks(kafka, config.ordersTopic);
  const pool = createPool(config, { connectionLimit: 1 });
  const started = Date.now();
  try {
    for (;;) {
      const checkpoint = await readCheckpoint(pool, streamWorkflowId(config), config.ordersTopic);
      let lag = 0;
      for (const [p, end] of target)
        lag += Math.max(0, Number(BigInt(end) - BigInt(checkpoint[String(p)] ?? '0')));
      opts.onTick?.(lag);
      if (lag === 0) return (Date.now() - started) / 1000;
      if (opts.timeoutMs && Date.now() - started > opts.timeoutMs) {
        throw new Error(
          `the stream did not catch up within ${opts.timeoutMs / 1000} s (${lag} records behind)`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await pool.end();
  }
}
