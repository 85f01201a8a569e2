/**
 * The stream's activities. flushWindow reads one window's records from the checkpointed offsets, validates,
 * de-duplicates, joins and aggregates them (pure functions from src/core), writes raw orders to Cassandra
 * (idempotent upserts), dead-letters bad input, then commits everything in ONE MySQL transaction.
 */
import { heartbeat } from '@temporalio/activity';
import { aggregateBySourceState, joinOrders, splitDuplicates } from '../src/core/aggregate';
import { decodeOrderMessage } from '../src/core/message';
import { eventDay } from '../src/core/time';
import type { Order } from '../src/core/types';
import type { RawOrderRow } from '../src/io/cassandra';
import { upsertRawOrders } from '../src/io/cassandra';
import { earliestOffsets, highWatermarks, produceBatch, readRange } from '../src/io/kafka';
import {
  alreadyCounted,
  type CountedOrder,
  committedWindow,
  commitWindow,
  readCheckpoint,
} from '../src/io/sales-store';
import type { FlushWindowInput, FlushWindowResult, Offsets, StreamStart } from '../workflows/types';
import type { ActivityDeps } from './deps';

/** Testing aid (SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS): pause between the Cassandra writes and the commit. */
const FAULT_PAUSE_MS = Number(process.env.SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS ?? 0);

interface KafkaRecord {
  partition: number;
  offset: string;
  timestampMs: number;
  value: Buffer | null;
}

interface DeadLetter {
  record: KafkaRecord;
  reason: string;
  detail: string;
}

/** Where the stream starts: its committed checkpoint, or the earliest offsets of a topic it never read. */
async function startOffsets(deps: ActivityDeps, streamId: string, topic: string) {
  const checkpoint = await readCheckpoint(deps.pool, streamId, topic);
  const earliest = await earliestOffsets(deps.kafka, topic);
  const offsets: Offsets = {};
  for (const [p, o] of earliest) {
    const committed = checkpoint[String(p)];
    // A checkpoint below the log start means records were deleted (retention or reset): start at what exists.
    offsets[String(p)] = committed !== undefined && BigInt(committed) >= BigInt(o) ? committed : o;
  }
  return { checkpoint, offsets };
}

export function streamActivities(deps: ActivityDeps) {
  return {
    /** The first window that can hold data for this stream. */
    async startStream(input: {
      streamId: string;
      topic: string;
      windowSeconds: number;
    }): Promise<StreamStart> {
      await deps.topics();
      const { offsets } = await startOffsets(deps, input.streamId, input.topic);
      const windowMs = input.windowSeconds * 1000;
      let first: number | null = null;
      for (const [p, o] of Object.entries(offsets)) {
        const r = await readRange(deps.kafka, input.topic, Number(p), o, {
          untilTimestampMs: 0,
          maxRecords: 1,
        });
        if (r.nextRecordTimestampMs !== undefined)
          first = Math.min(first ?? Infinity, r.nextRecordTimestampMs);
      }
      const from = first ?? Date.now();
      return { firstWindowStartMs: Math.floor(from / windowMs) * windowMs, offsets };
    },

    /**
     * Flushes one window: in parts of at most FLUSH_PART_RECORDS records (bounded memory however busy the
     * window), each committed on its own behind the offsets' compare-and-set, until the window's records are
     * exhausted. A retried attempt carries on from the last committed part. Returns the whole window's stats.
     */
    async flushWindow(input: FlushWindowInput): Promise<FlushWindowResult> {
      const done = await committedWindow(deps.pool, input.streamId, input.windowStartMs);
      if (done)
        return { ...done, nextRecordMs: null, emptyUntilMs: input.windowEndMs, alreadyCommitted: true };
      await deps.topics();
      for (let parts = 1; ; parts++) {
        const part = await flushPart(deps, input);
        heartbeat({ parts, complete: part.complete });
        if (!part.complete) continue;
        const window = (await committedWindow(deps.pool, input.streamId, input.windowStartMs))!;
        return {
          ...window,
          nextRecordMs: part.nextRecordMs,
          // Anything appended after the read gets a later broker timestamp (1 s margin for clock skew).
          emptyUntilMs: part.readAt - 1000,
          alreadyCommitted: false,
        };
      }
    },

    /** Records beyond the stream's checkpoint right now (for status and the demo's "caught up" check). */
    async streamLag(input: { streamId: string; topic: string }): Promise<number> {
      const { offsets } = await startOffsets(deps, input.streamId, input.topic);
      const hw = await highWatermarks(deps.kafka, input.topic);
      let lag = 0;
      for (const [p, h] of hw) lag += Number(BigInt(h) - BigInt(offsets[String(p)] ?? '0'));
      return lag;
    },
  };
}

/**
 * One bounded part of a window: read up to the part size from the checkpoint (never past the window's end),
 * validate, de-duplicate, join, write raw orders to Cassandra, dead-letter bad input, commit in one transaction.
 */
async function flushPart(deps: ActivityDeps, input: FlushWindowInput) {
  const started = Date.now();
  const { checkpoint, offsets: offsetsBefore } = await startOffsets(deps, input.streamId, input.topic);
  const readAt = Date.now();

  // 1. Read every partition from its checkpoint up to the window's end (record timestamps are broker append
  //    times, monotonic per partition, so this prefix is the window's whole content) or the part's budget.
  const records: KafkaRecord[] = [];
  const offsetsAfter: Offsets = {};
  let nextRecordMs: number | null = null;
  let lagRecords = 0;
  let complete = true;
  for (const [p, from] of Object.entries(offsetsBefore)) {
    const budget = deps.config.flushPartRecords - records.length;
    if (budget <= 0) {
      offsetsAfter[p] = from;
      complete = false;
      continue;
    }
    const r = await readRange(deps.kafka, input.topic, Number(p), from, {
      untilTimestampMs: input.windowEndMs,
      maxRecords: budget,
    });
    for (const rec of r.records) {
      records.push({
        partition: Number(p),
        offset: rec.offset,
        timestampMs: rec.timestampMs,
        value: rec.value,
      });
    }
    offsetsAfter[p] = r.nextOffset;
    lagRecords += Number(BigInt(r.highWatermark) - BigInt(r.nextOffset));
    if (r.nextRecordTimestampMs !== undefined) {
      nextRecordMs = Math.min(nextRecordMs ?? Infinity, r.nextRecordTimestampMs);
    } else if (BigInt(r.nextOffset) < BigInt(r.highWatermark)) {
      complete = false; // stopped by the budget, not by the window's end or the log's end
    }
    heartbeat({ partition: p, read: records.length });
  }

  // 2. Validate; de-duplicate against this batch and every order counted before; join customers.
  const dead: DeadLetter[] = [];
  const valid: Array<{ order: Order; record: KafkaRecord }> = [];
  for (const record of records) {
    const decoded = decodeOrderMessage(record.value);
    if (decoded.ok) valid.push({ order: decoded.order, record });
    else dead.push({ record, reason: decoded.reason, detail: decoded.detail });
  }
  const counted = await alreadyCounted(
    deps.pool,
    valid.map((v) => v.order.id),
  );
  const { fresh, duplicates: dupes } = splitDuplicates(valid, counted);
  const customers = await deps.customerDims();
  const recordOf = new Map(fresh.map((f) => [f.order, f.record]));
  const { joined, unknown } = joinOrders(
    fresh.map((f) => f.order),
    customers,
  );
  for (const order of unknown) {
    dead.push({
      record: recordOf.get(order)!,
      reason: 'unknown_customer',
      detail: `no customer with ID ${order.userId}`,
    });
  }

  // 3. Raw orders to Cassandra first: idempotent upserts, so a retry repeats them harmlessly.
  const raw: RawOrderRow[] = joined.map((j) => {
    const rec = recordOf.get(j.order)!;
    return {
      orderId: j.order.id,
      createdAt: j.order.createdAt,
      day: eventDay(j.order.createdAt),
      discount: j.order.discount,
      productId: j.order.productId,
      quantity: j.order.quantity,
      subtotal: j.order.subtotal,
      tax: j.order.tax,
      total: j.order.total,
      userId: j.order.userId,
      kafkaPartition: rec.partition,
      kafkaOffset: rec.offset,
      kafkaTs: rec.timestampMs,
      raw: rec.value ? rec.value.toString('utf8') : '',
    };
  });
  if (raw.length) {
    const cassandra = await deps.cassandra();
    for (let i = 0; i < raw.length; i += 5000) {
      await upsertRawOrders(cassandra, deps.config.cassandraKeyspace, raw.slice(i, i + 5000));
      heartbeat({ cassandra: Math.min(raw.length, i + 5000) });
    }
  }

  // 4. Bad input to the dead-letter topic with its reason and original bytes (keyed by its position, so a
  //    consumer can tell a retried copy).
  if (dead.length) {
    await produceBatch(
      await deps.producer(),
      deps.config.dlqTopic,
      dead.map((d) => ({
        key: `${input.topic}/${d.record.partition}/${d.record.offset}`,
        value: d.record.value ?? Buffer.alloc(0),
        headers: {
          reason: d.reason,
          detail: d.detail,
          topic: input.topic,
          partition: String(d.record.partition),
          offset: d.record.offset,
        },
      })),
    );
  }
  const dlqReasons = new Map<string, number>();
  for (const d of dead) dlqReasons.set(d.reason, (dlqReasons.get(d.reason) ?? 0) + 1);

  // Fault-injection hook for the crash tests: a window whose raw orders are written but not yet committed.
  if (FAULT_PAUSE_MS > 0) {
    console.log(`flushWindow: pausing ${FAULT_PAUSE_MS} ms before committing window ${input.windowStartMs}`);
    await new Promise((r) => setTimeout(r, FAULT_PAUSE_MS));
  }

  // 5. The commit point.
  const groups = aggregateBySourceState(joined);
  const countedRows: CountedOrder[] = joined.map((j) => {
    const rec = recordOf.get(j.order)!;
    return {
      orderId: j.order.id,
      source: j.source,
      state: j.state,
      total: j.order.total,
      partition: rec.partition,
      offset: rec.offset,
    };
  });
  const windowMs = input.windowEndMs - input.windowStartMs;
  const batchId = Math.floor(input.windowStartMs / windowMs);
  const flushMs = Date.now() - started;
  await commitWindow(deps.pool, {
    streamId: input.streamId,
    topic: input.topic,
    windowStartMs: input.windowStartMs,
    windowEndMs: input.windowEndMs,
    batchId,
    records: records.length,
    duplicates: dupes.length,
    invalid: dead.length,
    groups,
    counted: countedRows,
    dlqReasons,
    checkpoint,
    offsetsBefore,
    offsetsAfter,
    lagRecords,
    flushMs,
    complete,
  });
  return { complete, nextRecordMs, readAt };
}
