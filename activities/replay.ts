/**
 * publishOrders: streams a CSV of orders (constant memory) into the orders topic as the seed producer's JSON,
 * keyed by order ID, at a chosen pace. It heartbeats its position; a retried attempt resumes from the last
 * heartbeat. Rows that are not valid orders go to the dead-letter topic with their line, so nothing is lost; the
 * dead letters are cut to fit the DLQ topic and sent in batches it accepts, so no row, however large, can stop the
 * replay.
 */
import { activityInfo, heartbeat } from '@temporalio/activity';
import type { PublishOrdersInput, PublishOrdersResult, PublishProgress } from '../src/contract';
import type { DeadLetter } from '../src/core/dead-letter';
import { encodeOrderMessage } from '../src/core/message';
import { Pacer } from '../src/core/pacing';
import { produceBatch, produceDeadLetters } from '../src/io/kafka';
import type { ActivityDeps } from './deps';
import { readOrdersFile } from './input-file';

const HEARTBEAT_MS = 1000;
/** Bad rows held before they are sent: a few rows with megabyte cells must not pile up in memory. */
const MAX_PENDING_BAD_BYTES = 8 << 20;
/** Bad rows named in the result (line and reason): enough to find them, small enough for a heartbeat. */
export const MAX_BAD_ROWS_LISTED = 20;

export function replayActivities(deps: ActivityDeps) {
  return {
    async publishOrders(input: PublishOrdersInput): Promise<PublishOrdersResult> {
      await deps.topics();
      const producer = await deps.producer();
      const resumed = activityInfo().heartbeatDetails as PublishProgress | undefined;
      const progress: PublishProgress = resumed ?? {
        rows: 0,
        published: 0,
        badRows: 0,
        totalRows: input.totalRows ?? null,
        lastOrderId: null,
      };
      progress.firstBadRows ??= []; // absent from a heartbeat of an older worker
      const dlqMaxBytes = await deps.dlqMaxBytes();
      const resumedFrom = progress.rows;
      const started = Date.now();
      const pacer = new Pacer(input);
      const batchLimit = input.max ? 2000 : Math.max(1, Math.min(500, Math.floor((input.rate ?? 1000) / 10)));
      let orders: Array<{ key: string; value: string }> = [];
      let bad: DeadLetter[] = [];
      let badBytes = 0;
      let lastBeat = 0;
      let seen = 0;

      const flush = async () => {
        if (orders.length) await produceBatch(producer, input.topic, orders);
        if (bad.length) await produceDeadLetters(producer, deps.config.dlqTopic, bad, dlqMaxBytes);
        progress.rows += orders.length + bad.length;
        progress.published += orders.length;
        progress.badRows += bad.length;
        // Listed once sent, so a heartbeat never names a row a retried attempt will read again.
        for (const letter of bad) {
          if (progress.firstBadRows!.length >= MAX_BAD_ROWS_LISTED) break;
          progress.firstBadRows!.push({ line: Number(letter.headers.line), reason: letter.headers.detail });
        }
        orders = [];
        bad = [];
        badBytes = 0;
        if (Date.now() - lastBeat >= HEARTBEAT_MS) {
          heartbeat(progress);
          lastBeat = Date.now();
        }
      };

      for await (const item of readOrdersFile(input.file)) {
        if (seen++ < resumedFrom) continue; // published by an earlier attempt
        if (item.ok) {
          const wait = pacer.delayFor(item.order);
          if (wait > 0) {
            await flush();
            await sleepOrCancel(wait);
          }
          orders.push({ key: String(item.order.id), value: encodeOrderMessage(item.order) });
          progress.lastOrderId = item.order.id;
        } else {
          const value = Buffer.from(item.raw ?? '', 'utf8');
          badBytes += value.length;
          bad.push({
            key: `${input.file}:${item.line}`,
            value,
            headers: {
              reason: 'bad_csv_row',
              detail: item.reason,
              file: input.file,
              line: String(item.line),
            },
          });
        }
        if (orders.length + bad.length >= batchLimit || badBytes >= MAX_PENDING_BAD_BYTES) await flush();
      }
      await flush();
      heartbeat(progress);
      return { ...progress, seconds: (Date.now() - started) / 1000, resumedFrom };
    },
  };
}

/** Sleeps, but wakes when Temporal cancels the activity (heartbeats deliver cancellation). */
async function sleepOrCancel(ms: number): Promise<void> {
  const { Context } = await import('@temporalio/activity');
  await Context.current().sleep(ms);
}
