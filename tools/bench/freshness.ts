/**
 * Freshness at a steady rate, through Temporal. The bench publishes from its own process (the shop's producer,
 * not the worker) in 20 ms slices, and reads the checkpoint every POLL_MS: an order's offset below the committed
 * next offset means its amount is in sales_totals (the same transaction). Afterwards each order's LogAppendTime
 * is read back from Kafka; freshness = when its offset was first seen committed − its append time. The seen
 * time is late by at most one poll plus the query (the same clock as the broker's: one machine). Window complete
 * is each window's completing commit (stream_windows.flushed_at) minus its end.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { loadCustomers } from '../../app/ops/data';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { withClient } from '../../app/ops/temporal';
import { streamWorkflowId } from '../../src/ids';
import {
  connectProducer,
  createKafka,
  earliestOffsets,
  ensureTopics,
  highWatermarks,
  produceBatch,
  readRange,
} from '../../src/io/kafka';
import { createPool } from '../../src/io/mysql';
import { readCheckpoint } from '../../src/io/store/stream';
import { spawnWorker } from './consumer';
import { type Message, messagesOf } from './data';
import { starts } from './interrupt';
import {
  type BenchRun,
  commitLatency,
  freshnessOf,
  type RunContext,
  type SeenCheckpoint,
  windowCompleteSeconds,
} from './results';
import { benchPipeline, finishRun, startMeasuring, terminateStream } from './run';

/** How often the freshness run reads the checkpoint: the resolution of its "counted at" times. */
const POLL_MS = 20;
/** How often the publisher sends what the rate says is due. */
const SLICE_MS = 20;

export async function measureFreshness(
  ctx: RunContext,
  rate: number,
  seconds: number,
  ordersCsv: string,
  customersCsv: string,
): Promise<BenchRun> {
  const iso = await benchPipeline(ctx);
  const config = iso.config;
  const messages = (await messagesOf(ordersCsv)).slice(0, ctx.orders);
  const worker = spawnWorker(iso.env);
  const kafka = createKafka(config);
  const producer = await connectProducer(kafka);
  const pool = createPool(config, { connectionLimit: 2 });
  try {
    await worker.polling();
    await ensureTopics(kafka, config);
    await loadCustomers(config, customersCsv);
    await withClient(config, (client) => starts(() => startStreamWorkflow(client, config)));
    console.error(`bench ${ctx.name}: ${rate} orders/s for ${seconds} s through Temporal`);
    const start = startMeasuring(config);
    const streamId = streamWorkflowId(config);
    const watch = watchCheckpoint(pool, streamId, config.ordersTopic);
    const { started, published } = await publishSteadily(producer, config.ordersTopic, messages, rate);
    await waitCounted(config, { timeoutMs: 10 * 60_000 });
    const done = Date.now();
    const seen = await watch.stop();
    await terminateStream(config);
    const latencies = await commitLatencies(kafka, config.ordersTopic, seen);
    const windows = await completeWindows(pool, streamId);
    const complete = windowCompleteSeconds(windows, ctx.windowSeconds, { started, published });
    const run = await finishRun(ctx, iso, worker, { started, published, done }, start);
    const steady = { rate, seconds, messages: messages.length, pollMs: POLL_MS };
    run.freshness = freshnessOf(steady, { started, published }, latencies, complete);
    console.error(
      `bench ${ctx.name}: freshness p50 ${run.freshness.p50.toFixed(2)} s, p99 ${run.freshness.p99.toFixed(2)} s; ` +
        `window complete ${run.freshness.windowCompleteP50.toFixed(2)} s after its end (max ${run.freshness.windowCompleteMax.toFixed(2)} s)`,
    );
    return run;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await worker.stop();
    await iso.cleanup();
  }
}

/** The checkpoint's history, read every POLL_MS until stop(): when each committed offset was first seen. */
function watchCheckpoint(pool: Pool, streamId: string, topic: string): { stop(): Promise<SeenCheckpoint[]> } {
  const seen: SeenCheckpoint[] = [];
  let polling = true;
  const poller = (async () => {
    let last = '';
    while (polling) {
      const offsets = await readCheckpoint(pool, streamId, topic);
      const at = Date.now();
      const key = JSON.stringify(offsets);
      if (key !== last) seen.push({ at, offsets });
      last = key;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    async stop() {
      polling = false;
      await poller;
      return seen;
    },
  };
}

/** Publishes `messages` at `rate` per second, paced by the clock in SLICE_MS slices; returns when it began and ended. */
async function publishSteadily(
  producer: Producer,
  topic: string,
  messages: Message[],
  rate: number,
): Promise<{ started: number; published: number }> {
  const started = Date.now();
  let sent = 0;
  while (sent < messages.length) {
    const due = Math.min(messages.length, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    if (due > sent) {
      await produceBatch(producer, topic, messages.slice(sent, due));
      sent = due;
    }
    await new Promise((r) => setTimeout(r, SLICE_MS));
  }
  return { started, published: Date.now() };
}

/** Each record's append time read back from Kafka, against the first time its offset was seen committed. */
async function commitLatencies(kafka: Kafka, topic: string, seen: SeenCheckpoint[]): Promise<number[]> {
  const latencies: number[] = [];
  const ends = await highWatermarks(kafka, topic);
  for (const [p, from] of await earliestOffsets(kafka, topic)) {
    const latencyOf = commitLatency(seen, p);
    let offset = from;
    while (BigInt(offset) < BigInt(ends.get(p) ?? '0')) {
      const r = await readRange(kafka, topic, p, offset, {
        untilTimestampMs: Number.MAX_SAFE_INTEGER,
        maxRecords: 20_000,
      });
      if (!r.records.length) break;
      for (const rec of r.records) {
        const latency = latencyOf(rec);
        if (latency !== undefined) latencies.push(latency);
      }
      offset = r.nextOffset;
    }
  }
  return latencies;
}

async function completeWindows(pool: Pool, streamId: string) {
  const [rows] = await pool.query<RowDataPacket[]>(
    'SELECT window_end, flushed_at FROM stream_windows WHERE stream_id = ? AND complete = 1',
    [streamId],
  );
  return rows.map((w) => ({ windowEnd: w.window_end as Date, flushedAt: w.flushed_at as Date }));
}
