/**
 * The stream's activities. flushUnit reads one window's records from the checkpointed offsets and plans them
 * (decode, validate, de-duplicate, join, aggregate: the pure planPart in src/core/flush-plan.ts), writes raw
 * orders to Cassandra (idempotent upserts), dead-letters bad input, then commits everything in ONE MySQL
 * transaction. A record a sink refuses is isolated and dead-lettered instead of blocking the records behind it.
 */
import * as os from 'node:os';
import { CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import type { FlushUnitInput, FlushUnitResult, Offsets, StreamStart } from '../src/contract';
import {
  decodeRecords,
  type PartPlan,
  planPart,
  positionOf,
  type SourceRecord,
} from '../src/core/flush-plan';
import { profileLine, StageClock } from '../src/core/profile';
import { windowStartFor } from '../src/core/time';
import { SalesflowError } from '../src/errors';
import { deleteRawOrders, rawOrderRow, upsertRawOrders } from '../src/io/cassandra';
import { SinkRejectedError } from '../src/io/driver-errors';
import { earliestOffsets, highWatermarks, produceDeadLetters, readRange } from '../src/io/kafka';
import {
  alreadyCounted,
  committedUnit,
  committedWindow,
  commitWindow,
  ensureOffsetRows,
  isPartRetry,
  readCheckpoint,
} from '../src/io/store/stream';
import type { ActivityDeps } from './deps';

/** Who runs an activity, as Temporal names a worker: the work's share per worker is read from the commits. */
const WORKER = `${process.pid}@${os.hostname()}`;

/** The unit of a window that owns partition p: its share of a topic that may grow while it runs. */
const owns = (unit: number, units: number) => (p: number) => p % units === unit;

/**
 * Where a unit of the stream goes on from: its partitions' committed checkpoint, or the earliest offsets of
 * partitions it never read (the topic is new, or partitions were added). Partitions are listed afresh each time,
 * so one added while a window is open is read in that window. `partitions`: how many the topic has.
 */
async function startOffsets(
  deps: ActivityDeps,
  streamId: string,
  topic: string,
  own: (p: number) => boolean = () => true,
) {
  const all = await earliestOffsets(deps.kafka, topic);
  const earliest = new Map([...all].filter(([p]) => own(p)));
  const partitions = [...earliest.keys()];
  let checkpoint = await readCheckpoint(deps.pool, streamId, topic, { partitions });
  const unread = Object.fromEntries(
    [...earliest].filter(([p]) => checkpoint[String(p)] === undefined).map(([p, o]) => [String(p), o]),
  );
  if (Object.keys(unread).length) {
    await ensureOffsetRows(deps.pool, streamId, topic, unread);
    checkpoint = await readCheckpoint(deps.pool, streamId, topic, { partitions });
  }
  const offsets: Offsets = {};
  for (const [p, o] of earliest) {
    const committed = checkpoint[String(p)];
    // A checkpoint below the log start means records were deleted (retention or reset): start at what exists.
    offsets[String(p)] = committed !== undefined && BigInt(committed) >= BigInt(o) ? committed : o;
  }
  return { checkpoint, offsets, partitions: all.size };
}

/**
 * The commit refused the values of this part's records: one of them (or a sum they make) cannot be stored.
 * Retriable: the part is tried again halved, and a record already dead-lettered refused again is not the data's
 * fault, so the activity is tried again.
 */
class PartRefusedError extends SalesflowError {
  constructor(
    readonly records: readonly SourceRecord[],
    readonly cause: SinkRejectedError,
  ) {
    super(cause.message, { retriable: true });
  }
}

/** Cassandra refused these records' values; the part is planned again with them dead-lettered. */
class RecordsRefusedError extends SalesflowError {
  constructor(readonly refused: Map<string, string>) {
    super(`cassandra refused ${refused.size} records`);
  }
}

/**
 * Flush units running in this process. FLUSH_PART_RECORDS is the process's memory budget, shared by them: one
 * worker running all four units of a window holds no more records at once than one unit alone would.
 */
let unitsRunning = 0;
const partBudget = (deps: ActivityDeps) =>
  Math.max(1, Math.ceil(deps.config.flushPartRecords / Math.max(1, unitsRunning)));

export function streamActivities(deps: ActivityDeps) {
  return {
    /** The first window that can hold data for this stream. */
    async startStream(input: {
      streamId: string;
      topic: string;
      windowSeconds: number;
    }): Promise<StreamStart> {
      await deps.topics();
      const { offsets, partitions } = await startOffsets(deps, input.streamId, input.topic);
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
      return { firstWindowStartMs: windowStartFor(from, input.windowSeconds), offsets, partitions };
    },

    /**
     * Flushes one unit of a window (all of it with one unit): in parts of at most FLUSH_PART_RECORDS records
     * (bounded memory however busy the window), each committed on its own behind the offsets' compare-and-set,
     * until the unit's records of the window are exhausted. A retried attempt, on this worker or another, carries
     * on from the last committed part. Returns the unit's stats.
     */
    async flushUnit(input: FlushUnitInput): Promise<FlushUnitResult> {
      const unit = input.unit ?? 0;
      const units = input.units ?? 1;
      const done =
        (await committedUnit(deps.pool, input.streamId, input.windowStartMs, unit)) ??
        // A window completed before windows had units (an upgrade while one was being retried).
        (units === 1 ? await committedWindow(deps.pool, input.streamId, input.windowStartMs) : null);
      if (done)
        return { ...done, nextRecordMs: null, emptyUntilMs: input.windowEndMs, alreadyCommitted: true };
      await deps.topics();
      // A lost race on a lock or an order ID with another unit: read and plan the part again (a few times).
      let partRetries = 0;
      // Records a sink refused, found while isolating them: dead-lettered when their part is planned again.
      const refused = new Map<string, string>();
      // Set while a refused part is halved down to the record MySQL refuses; otherwise this process's share.
      let budget: number | null = null;
      // Until it closes, the window is consumed live: what has arrived is committed every commitIntervalMs.
      const closeAtMs = input.closeAtMs ?? 0;
      // Where this window's time goes, stage by stage (logged with SALESFLOW_PROFILE=1 for the benchmark).
      const clock = new StageClock();
      unitsRunning += 1;
      try {
        for (let parts = 1; ; parts++) {
          let part: Awaited<ReturnType<typeof flushPart>>;
          try {
            part = await flushPart(deps, input, closeAtMs, budget ?? partBudget(deps), refused, clock);
          } catch (e) {
            if (isPartRetry(e) && partRetries++ < 3) continue;
            if (e instanceof RecordsRefusedError) {
              for (const [position, error] of e.refused) refused.set(position, error);
              continue;
            }
            if (!(e instanceof PartRefusedError)) throw e;
            // MySQL refused the part: halve it (in offset order) until the one record it refuses is alone.
            if (e.records.length > 1) {
              budget = Math.ceil(e.records.length / 2);
              continue;
            }
            const position = positionOf(e.records[0]);
            // Refused again with that record already dead-lettered: the data is not what fails. Retry, loudly.
            if (refused.has(position)) throw e;
            refused.set(position, e.message);
            budget = null;
            continue;
          }
          partRetries = 0;
          heartbeat({ parts, complete: part.complete });
          // One line per commit, so an open window's time is seen before it closes.
          if (deps.config.profile && (part.records || part.complete))
            console.log(
              profileLine({ ...input, records: part.records, complete: part.complete, ms: clock.take() }),
            );
          if (part.complete) {
            const window = (await committedUnit(deps.pool, input.streamId, input.windowStartMs, unit))!;
            return {
              ...window,
              partitions: part.partitions,
              nextRecordMs: part.nextRecordMs,
              // Anything appended after the read gets a later broker timestamp (1 s margin for clock skew).
              emptyUntilMs: part.readAt - 1000,
              alreadyCommitted: false,
            };
          }
          // A pause or stop cancels an open window between parts; what was committed stays.
          if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('window interrupted');
          // Caught up with an open window: wait for more (or for its close), waking if Temporal cancels us.
          if (part.caughtUp) {
            await Context.current().sleep(
              Math.max(0, Math.min(deps.config.commitIntervalMs, closeAtMs - Date.now())),
            );
            clock.mark('wait');
          }
        }
      } finally {
        unitsRunning -= 1;
      }
    },

    /**
     * The log end of every partition (the offset the next record will get). While a window cannot be flushed the
     * workflow measures its lag against this, so a stalled stream never reports "lag 0" with orders waiting.
     */
    async logEnd(input: { topic: string }): Promise<Offsets> {
      return Object.fromEntries(await highWatermarks(deps.kafka, input.topic));
    },
  };
}

/**
 * Reads one bounded part of a window: every partition from the checkpoint up to the window's end (record
 * timestamps are broker append times, monotonic per partition, so this prefix is the window's whole content)
 * or the part's record budget.
 */
async function readPart(deps: ActivityDeps, input: FlushUnitInput, budget: number) {
  const {
    checkpoint,
    offsets: offsetsBefore,
    partitions,
  } = await startOffsets(deps, input.streamId, input.topic, owns(input.unit ?? 0, input.units ?? 1));
  const readAt = Date.now();
  const records: SourceRecord[] = [];
  const offsetsAfter: Offsets = {};
  let nextRecordMs: number | null = null;
  let lagRecords = 0;
  let complete = true;
  for (const [p, from] of Object.entries(offsetsBefore)) {
    const left = budget - records.length;
    if (left <= 0) {
      offsetsAfter[p] = from;
      complete = false;
      continue;
    }
    const r = await readRange(deps.kafka, input.topic, Number(p), from, {
      untilTimestampMs: input.windowEndMs,
      maxRecords: left,
    });
    for (const rec of r.records)
      records.push({
        partition: Number(p),
        offset: rec.offset,
        timestampMs: rec.timestampMs,
        value: rec.value,
      });
    offsetsAfter[p] = r.nextOffset;
    lagRecords += Number(BigInt(r.highWatermark) - BigInt(r.nextOffset));
    if (r.nextRecordTimestampMs !== undefined) {
      nextRecordMs = Math.min(nextRecordMs ?? Infinity, r.nextRecordTimestampMs);
    } else if (BigInt(r.nextOffset) < BigInt(r.highWatermark)) {
      complete = false; // stopped by the budget, not by the window's end or the log's end
    }
    heartbeat({ partition: p, read: records.length });
  }
  return {
    checkpoint,
    offsetsBefore,
    offsetsAfter,
    records,
    nextRecordMs,
    lagRecords,
    complete,
    readAt,
    partitions,
  };
}

/** Raw orders to Cassandra: idempotent upserts, so a retry repeats them harmlessly. */
async function writeRawOrders(deps: ActivityDeps, plan: PartPlan): Promise<void> {
  const rows = plan.counted.map((c) => rawOrderRow(c.order, c.record));
  if (!rows.length) return;
  const cassandra = await deps.cassandra();
  const refused = new Map<string, string>();
  for (let i = 0; i < rows.length; i += 5000) {
    const refusedHere = await upsertRawOrders(
      cassandra,
      deps.config.cassandraKeyspace,
      rows.slice(i, i + 5000),
    );
    for (const [k, e] of refusedHere) refused.set(positionOf(plan.counted[i + k].record), e.message);
    heartbeat({ cassandra: Math.min(rows.length, i + 5000) });
  }
  if (!refused.size) return;
  // One bad value is a record's fault; most of a part refused is ours (a schema out of step): retry, loudly.
  if (refused.size > 1 && refused.size * 2 > rows.length)
    throw new Error(
      `cassandra refused ${refused.size} of ${rows.length} raw orders: ${[...refused.values()][0]}`,
    );
  throw new RecordsRefusedError(refused);
}

/**
 * One bounded part of a window: read, plan, write raw orders to Cassandra, dead-letter bad input, commit in one
 * transaction. At most `budget` records; `refused` holds the positions a sink refused on an earlier try. In an
 * open window (before closeAtMs) a part is what has arrived since the last commit.
 */
async function flushPart(
  deps: ActivityDeps,
  input: FlushUnitInput,
  closeAtMs: number,
  budget: number,
  refused: Map<string, string>,
  clock: StageClock,
) {
  const started = Date.now();
  const read = await readPart(deps, input, budget);
  clock.mark('kafkaRead');
  // The window is complete once its records are read (to its end, or to the log's end) after it closed: a record
  // appended later has a later broker timestamp, past the window. Before that, a part is a live increment.
  const complete = read.complete && read.readAt >= closeAtMs;
  const result = {
    complete,
    caughtUp: read.complete,
    nextRecordMs: read.nextRecordMs,
    readAt: read.readAt,
    records: read.records.length,
    partitions: read.partitions,
  };
  if (!complete && read.records.length === 0) return result; // nothing new in the open window
  const { decoded, orderIds } = decodeRecords(read.records);
  clock.mark('plan');
  const countedBefore = await alreadyCounted(deps.pool, orderIds);
  const customers = await deps.customerDims();
  clock.mark('lookup');
  const plan = planPart(decoded, countedBefore, customers, refused);
  clock.mark('plan');

  await writeRawOrders(deps, plan);
  // A record MySQL refused may already be in Cassandra from the try that found it: a raw order never counted
  // must not be there for a backfill to count.
  const refusedRaw = plan.deadLetters.flatMap((d) =>
    d.reason === 'sink_rejected' && d.order ? [rawOrderRow(d.order, d.record)] : [],
  );
  if (refusedRaw.length)
    await deleteRawOrders(await deps.cassandra(), deps.config.cassandraKeyspace, refusedRaw);
  clock.mark('cassandra');

  // Bad input to the dead-letter topic with its reason and original bytes (keyed by its position, so a
  // consumer can tell a retried copy), each letter cut to fit the topic if it must.
  if (plan.deadLetters.length) {
    await produceDeadLetters(
      await deps.producer(),
      deps.config.dlqTopic,
      plan.deadLetters.map((d) => ({
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
      await deps.dlqMaxBytes(),
    );
  }
  clock.mark('dlq');

  // Fault-injection hook for the crash tests: a window whose raw orders are written but not yet committed.
  const pauseMs = deps.config.faultPauseBeforeCommitMs;
  if (pauseMs > 0) {
    console.log(`flushUnit: pausing ${pauseMs} ms before committing window ${input.windowStartMs}`);
    await new Promise((r) => setTimeout(r, pauseMs));
    clock.restart();
  }

  // The commit point.
  const windowMs = input.windowEndMs - input.windowStartMs;
  try {
    await commitWindow(deps.pool, {
      streamId: input.streamId,
      topic: input.topic,
      windowStartMs: input.windowStartMs,
      windowEndMs: input.windowEndMs,
      batchId: Math.floor(input.windowStartMs / windowMs),
      unit: input.unit ?? 0,
      units: input.units ?? 1,
      worker: WORKER,
      records: read.records.length,
      duplicates: plan.duplicates,
      invalid: plan.deadLetters.length,
      groups: plan.groups,
      counted: plan.counted.map((c) => ({
        orderId: c.order.id,
        source: c.source,
        state: c.state,
        total: c.order.total,
        partition: c.record.partition,
        offset: c.record.offset,
        digest: c.digest,
      })),
      dlqReasons: plan.dlqReasons,
      checkpoint: read.checkpoint,
      offsetsBefore: read.offsetsBefore,
      offsetsAfter: read.offsetsAfter,
      lagRecords: read.lagRecords,
      flushMs: Date.now() - started,
      complete,
    });
  } catch (e) {
    if (e instanceof SinkRejectedError && read.records.length) throw new PartRefusedError(read.records, e);
    throw e;
  }
  clock.mark('commit');
  return result;
}
