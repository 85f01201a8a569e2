/**
 * publishOrders: streams a CSV of orders (constant memory) into the orders topic as the seed producer's JSON,
 * keyed by order ID, at a chosen pace. It heartbeats its position; a retried attempt resumes from the last
 * heartbeat. Rows that are not valid orders go to the dead-letter topic with their line, so nothing is lost; the
 * dead letters are cut to fit the DLQ topic and sent in batches it accepts, so no row, however large, can stop the
 * replay.
 */
import type { PublishOrdersInput, PublishOrdersResult, PublishProgress } from '../src/contract';
import type { DeadLetter } from '../src/core/dead-letter';
import { encodeOrderMessage } from '../src/core/message';
import { Pacer } from '../src/core/pacing';
import { type OutMessage, produceBatch, produceDeadLetters } from '../src/io/kafka';
import { type ActivityContext, temporalContext } from './context';
import type { ActivityDeps } from './deps';
import { readOrdersFile } from './input-file';

const HEARTBEAT_MS = 1000;
/** Bad rows held before they are sent: a few rows with megabyte cells must not pile up in memory. */
const MAX_PENDING_BAD_BYTES = 8 << 20;
/** Bad rows named in the result (line and reason): enough to find them, small enough for a heartbeat. */
export const MAX_BAD_ROWS_LISTED = 20;

/** `context`: Temporal's activity Context in a worker; the bench's plain loop hands in its own. */
export function replayActivities(deps: ActivityDeps, context: () => ActivityContext = temporalContext) {
  return {
    async publishOrders(input: PublishOrdersInput): Promise<PublishOrdersResult> {
      const ctx = context();
      await deps.topics();
      const producer = await deps.producer();
      const progress = resumedProgress(input, ctx.info.heartbeatDetails);
      const resumedFrom = progress.rows;
      const started = Date.now();
      const dlqMaxBytes = await deps.dlqMaxBytes();
      let lastBeat = 0;
      const sender = new BatchSender(async ({ orders, bad, lastOrderId }) => {
        if (orders.length) await produceBatch(producer, input.topic, orders);
        if (bad.length) await produceDeadLetters(producer, deps.config.dlqTopic, bad, dlqMaxBytes);
        // Counted once sent, so a heartbeat never names a row a retried attempt will read again.
        noteSent(progress, orders.length, bad, lastOrderId);
        if (Date.now() - lastBeat >= HEARTBEAT_MS) {
          ctx.heartbeat(progress);
          lastBeat = Date.now();
        }
      });
      const pacer = new Pacer(input);
      const batchLimit = input.max
        ? MAX_RATE_BATCH
        : Math.max(1, Math.min(500, Math.floor((input.rate ?? 1000) / 10)));
      let batch = emptyBatch();
      let seen = 0;
      for await (const item of readOrdersFile(input.file)) {
        if (seen++ < resumedFrom) continue; // published by an earlier attempt
        if (item.ok) {
          const wait = pacer.delayFor(item.order);
          if (wait > 0) {
            await sender.push(batch);
            batch = emptyBatch();
            await sender.drain(); // paced: what is due now is sent before the pause
            await ctx.sleep(wait); // wakes when Temporal cancels the activity (heartbeats deliver it)
          }
          batch.orders.push({ key: String(item.order.id), value: encodeOrderMessage(item.order) });
          batch.lastOrderId = item.order.id;
        } else {
          batch.bad.push(badRowLetter(input.file, item.line, item.raw, item.reason));
          batch.badBytes += batch.bad[batch.bad.length - 1].value.length;
        }
        if (batch.orders.length + batch.bad.length >= batchLimit || batch.badBytes >= MAX_PENDING_BAD_BYTES) {
          await sender.push(batch);
          batch = emptyBatch();
        }
      }
      await sender.push(batch);
      await sender.drain();
      ctx.heartbeat(progress);
      return { ...progress, seconds: (Date.now() - started) / 1000, resumedFrom };
    },
  };
}

/** Rows read at max rate before they are handed to the producer (sent in requests of at most 1,000). */
const MAX_RATE_BATCH = 2000;

interface Batch {
  orders: OutMessage[];
  bad: DeadLetter[];
  badBytes: number;
  lastOrderId: number | null;
}

const emptyBatch = (): Batch => ({ orders: [], bad: [], badBytes: 0, lastOrderId: null });

/**
 * Sends batches in order, one at a time, while the next one is read: the producer's wait for the broker (acks
 * from all in-sync replicas) overlaps parsing and encoding the next rows instead of idling the activity. One
 * send at a time keeps order, and the idempotent producer serialises its requests to a broker anyway.
 */
export class BatchSender {
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly send: (batch: Batch) => Promise<void>) {}

  /** Waits for the batch before (rethrowing its failure), then starts sending this one without waiting. */
  async push(batch: Batch): Promise<void> {
    await this.inFlight;
    if (!batch.orders.length && !batch.bad.length) return;
    const sending = this.send(batch);
    sending.catch(() => undefined); // awaited by the next push or drain; not an unhandled rejection meanwhile
    this.inFlight = sending;
  }

  /** Resolves once every batch pushed is sent; rejects with a failed send. */
  drain(): Promise<void> {
    return this.inFlight;
  }
}

/** Where an attempt starts: a retried attempt resumes from its last heartbeat (`heartbeatDetails`). */
function resumedProgress(input: PublishOrdersInput, heartbeatDetails: unknown): PublishProgress {
  const resumed = heartbeatDetails as PublishProgress | undefined;
  const progress: PublishProgress = resumed ?? {
    rows: 0,
    published: 0,
    badRows: 0,
    totalRows: input.totalRows ?? null,
    lastOrderId: null,
  };
  progress.firstBadRows ??= []; // absent from a heartbeat of an older worker
  return progress;
}

function noteSent(
  progress: PublishProgress,
  published: number,
  bad: DeadLetter[],
  lastOrderId: number | null,
) {
  progress.rows += published + bad.length;
  progress.published += published;
  progress.badRows += bad.length;
  if (lastOrderId !== null) progress.lastOrderId = lastOrderId;
  for (const letter of bad) {
    if (progress.firstBadRows!.length >= MAX_BAD_ROWS_LISTED) break;
    progress.firstBadRows!.push({ line: Number(letter.headers.line), reason: letter.headers.detail });
  }
}

/** A CSV row that is not an order, as its dead letter: the original line's bytes, the reason, where it was. */
function badRowLetter(file: string, line: number, raw: string | undefined, reason: string): DeadLetter {
  return {
    key: `${file}:${line}`,
    value: Buffer.from(raw ?? '', 'utf8'),
    headers: { reason: 'bad_csv_row', detail: reason, file, line: String(line) },
  };
}
