/**
 * One bounded part of a unit's window, in named steps: read -> plan -> write raw -> dead-letter -> commit. At most
 * `budget` records; in an open window (before its close) a part is what has arrived since the last commit. Each
 * step reaches the world only through FlushIo and reports through the ActivityContext, so each can be tested
 * alone; flush-unit.ts drives the parts.
 */
import * as os from 'node:os';
import type { FlushPhase, FlushUnitInput, FlushUnitProgress, Offsets } from '../src/contract';
import {
  decodeRecords,
  type PartPlan,
  planPart,
  positionOf,
  type SourceRecord,
} from '../src/core/flush-plan';
import type { StageClock } from '../src/core/profile';
import { SalesflowError } from '../src/errors';
import { rawOrderRow } from '../src/io/cassandra';
import { SinkRejectedError } from '../src/io/driver-errors';
import type { ActivityContext } from './context';
import type { ActivityFaults } from './deps';
import type { FlushIo } from './flush-io';

/** What a flush works with: the world (io), Temporal (ctx), its settings, and a test's faults. */
export interface FlushEnv {
  readonly io: FlushIo;
  readonly ctx: ActivityContext;
  readonly config: {
    /** Records this process's flushes hold at once (FLUSH_PART_RECORDS). */
    readonly flushPartRecords: number;
    /** How often an open window's arrivals are committed (COMMIT_INTERVAL_MS). */
    readonly commitIntervalMs: number;
    /** Log each commit's time by stage (SALESFLOW_PROFILE). */
    readonly profile: boolean;
  };
  readonly faults?: ActivityFaults;
}

/** Who runs an activity, as Temporal names a worker: the work's share per worker is read from the commits. */
const WORKER = `${process.pid}@${os.hostname()}`;

/** Raw orders per Cassandra call, between two heartbeats. */
const RAW_SLICE = 5000;

/**
 * The commit refused the values of this part's records: one of them (or a sum they make) cannot be stored.
 * Retriable: the part is tried again halved, and a record already dead-lettered refused again is not the data's
 * fault, so the activity is tried again.
 */
export class PartRefusedError extends SalesflowError {
  constructor(
    readonly records: readonly SourceRecord[],
    readonly cause: SinkRejectedError,
  ) {
    super(cause.message, { retriable: true });
  }
}

/** Cassandra refused these records' values; the part is planned again with them dead-lettered. */
export class RecordsRefusedError extends SalesflowError {
  constructor(readonly refused: Map<string, string>) {
    super(`cassandra refused ${refused.size} records`);
  }
}

/** Heartbeats the unit's progress in this phase. */
export const beat = (env: FlushEnv, progress: FlushUnitProgress, phase: FlushPhase, partRecords: number) =>
  env.ctx.heartbeat({ ...progress, phase, partRecords } satisfies FlushUnitProgress);

/** The unit of a window that owns partition p: its share of a topic that may grow while it runs. */
const owns = (unit: number, units: number) => (p: number) => p % units === unit;

/**
 * Where a unit of the stream goes on from: its partitions' committed checkpoint, or the earliest offsets of
 * partitions it never read (the topic is new, or partitions were added). Partitions are listed afresh each time,
 * so one added while a window is open is read in that window. `partitions`: how many the topic has.
 */
export async function startOffsets(
  io: FlushIo,
  streamId: string,
  topic: string,
  own: (p: number) => boolean = () => true,
) {
  const all = await io.earliestOffsets(topic);
  const earliest = new Map([...all].filter(([p]) => own(p)));
  const partitions = [...earliest.keys()];
  let checkpoint = await io.readCheckpoint(streamId, topic, partitions);
  const unread = Object.fromEntries(
    [...earliest].filter(([p]) => checkpoint[String(p)] === undefined).map(([p, o]) => [String(p), o]),
  );
  if (Object.keys(unread).length) {
    await io.ensureOffsetRows(streamId, topic, unread);
    checkpoint = await io.readCheckpoint(streamId, topic, partitions);
  }
  const offsets: Offsets = {};
  for (const [p, o] of earliest) {
    const committed = checkpoint[String(p)];
    // A checkpoint below the log start means records were deleted (retention or reset): start at what exists.
    offsets[String(p)] = committed !== undefined && BigInt(committed) >= BigInt(o) ? committed : o;
  }
  return { checkpoint, offsets, partitions: all.size };
}

export type PartRead = Awaited<ReturnType<typeof readPart>>;

/**
 * Step 1, read: every partition of the unit from the checkpoint up to the window's end (record timestamps are
 * broker append times, monotonic per partition, so this prefix is the window's whole content) or the part's
 * record budget. `complete`: every partition was read to the window's end or the log's end.
 */
export async function readPart(
  env: FlushEnv,
  input: FlushUnitInput,
  budget: number,
  progress: FlushUnitProgress,
) {
  const own = owns(input.unit ?? 0, input.units ?? 1);
  const {
    checkpoint,
    offsets: offsetsBefore,
    partitions,
  } = await startOffsets(env.io, input.streamId, input.topic, own);
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
    const r = await env.io.readRange(input.topic, Number(p), from, {
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
    beat(env, progress, 'read', records.length);
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

/**
 * Step 2, plan: decode, then the pure planPart (validate, de-duplicate against the ledger, join the customers,
 * aggregate). `refused` holds the positions a sink refused on an earlier try: they become dead letters.
 */
export async function planRead(
  env: FlushEnv,
  records: readonly SourceRecord[],
  refused: ReadonlyMap<string, string>,
  clock: StageClock,
): Promise<PartPlan> {
  const { decoded, orderIds } = decodeRecords(records);
  clock.mark('plan');
  const countedBefore = await env.io.alreadyCounted(orderIds);
  const customers = await env.io.customerDims();
  clock.mark('lookup');
  const plan = planPart(decoded, countedBefore, customers, refused);
  clock.mark('plan');
  return plan;
}

/**
 * Step 3, write raw: the counted orders to Cassandra (idempotent upserts, so a retry repeats them harmlessly).
 * A record Cassandra refuses throws RecordsRefusedError (the part is planned again with it dead-lettered); most
 * of a part refused is ours (a schema out of step), so that throws plainly: retry, loudly. A record MySQL refused
 * may be in Cassandra from the try that found it: it is deleted, so a backfill never counts a raw order the
 * stream did not.
 */
export async function writeRaw(env: FlushEnv, plan: PartPlan, progress: FlushUnitProgress): Promise<void> {
  const rows = plan.counted.map((c) => rawOrderRow(c.order, c.record));
  const refused = new Map<string, string>();
  for (let i = 0; i < rows.length; i += RAW_SLICE) {
    for (const [k, e] of await env.io.upsertRawOrders(rows.slice(i, i + RAW_SLICE)))
      refused.set(positionOf(plan.counted[i + k].record), e.message);
    beat(env, progress, 'write-raw', Math.min(rows.length, i + RAW_SLICE));
  }
  if (refused.size > 1 && refused.size * 2 > rows.length)
    throw new Error(
      `cassandra refused ${refused.size} of ${rows.length} raw orders: ${[...refused.values()][0]}`,
    );
  if (refused.size) throw new RecordsRefusedError(refused);
  const refusedByMysql = plan.deadLetters.flatMap((d) =>
    d.reason === 'sink_rejected' && d.order ? [rawOrderRow(d.order, d.record)] : [],
  );
  if (refusedByMysql.length) await env.io.deleteRawOrders(refusedByMysql);
}

/**
 * Step 4, dead-letter: bad input to the dead-letter topic with its reason and original bytes, keyed by its
 * position so a consumer can tell a retried copy.
 */
export async function deadLetter(env: FlushEnv, input: FlushUnitInput, plan: PartPlan): Promise<void> {
  if (!plan.deadLetters.length) return;
  await env.io.deadLetter(
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
  );
}

/**
 * Step 5, commit: the part in ONE MySQL transaction behind the compare-and-set on the offsets it was read from.
 * A value MySQL cannot store throws PartRefusedError, so the unit can narrow the part down to the record.
 */
export async function commitPart(
  env: FlushEnv,
  input: FlushUnitInput,
  read: PartRead,
  plan: PartPlan,
  done: { complete: boolean; startedMs: number },
): Promise<void> {
  const windowMs = input.windowEndMs - input.windowStartMs;
  try {
    await env.io.commit({
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
      flushMs: Date.now() - done.startedMs,
      complete: done.complete,
    });
  } catch (e) {
    if (e instanceof SinkRejectedError && read.records.length) throw new PartRefusedError(read.records, e);
    throw e;
  }
}

/** How a part went: the unit decides from it whether it is done, goes on at once, or waits for more. */
export interface PartOutcome {
  /** The unit's share of the window is committed whole (read to its end after its close). */
  complete: boolean;
  /** Everything that has arrived was read (in an open window: wait before the next part). */
  caughtUp: boolean;
  /** The part was committed: it read records, or it completes the unit (an open window with nothing new is not). */
  committed: boolean;
  /** Records the part read. */
  records: number;
  nextRecordMs: number | null;
  readAt: number;
  partitions: number;
}

/**
 * One part through the five steps. `tries` carries what earlier failures taught: the record budget while a
 * refused part is halved, and the positions a sink refused. `progress` is the unit's, for the heartbeats.
 */
export async function flushPart(
  env: FlushEnv,
  input: FlushUnitInput,
  tries: { budget: number; refused: ReadonlyMap<string, string> },
  clock: StageClock,
  progress: FlushUnitProgress,
): Promise<PartOutcome> {
  const startedMs = Date.now();
  const read = await readPart(env, input, tries.budget, progress);
  clock.mark('kafkaRead');
  // The window is complete once its records are read (to its end, or to the log's end) after it closed: a record
  // appended later has a later broker timestamp, past the window. Before that, a part is a live increment.
  const complete = read.complete && read.readAt >= (input.closeAtMs ?? 0);
  const outcome: PartOutcome = {
    complete,
    committed: complete || read.records.length > 0,
    caughtUp: read.complete,
    records: read.records.length,
    nextRecordMs: read.nextRecordMs,
    readAt: read.readAt,
    partitions: read.partitions,
  };
  if (!outcome.committed) return outcome; // nothing new in the open window
  const plan = await planRead(env, read.records, tries.refused, clock);
  await writeRaw(env, plan, progress);
  clock.mark('cassandra');
  await deadLetter(env, input, plan);
  clock.mark('dlq');
  beat(env, progress, 'before-commit', read.records.length);
  if (env.faults?.beforeCommit) {
    await env.faults.beforeCommit(input);
    clock.restart(); // a test's pause is no stage's time
  }
  await commitPart(env, input, read, plan, { complete, startedMs });
  clock.mark('commit');
  return outcome;
}
