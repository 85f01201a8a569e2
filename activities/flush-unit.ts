/**
 * flushUnit: one unit of a window (all of it with one unit), in parts of at most FLUSH_PART_RECORDS records
 * (bounded memory however busy the window), each committed on its own behind the offsets' compare-and-set
 * (flush-part.ts), until the unit's records of the window are exhausted. A retried attempt, on this worker or
 * another, carries on from the last committed part. Until the window closes, what has arrived is committed every
 * COMMIT_INTERVAL_MS; a cancel (the stream paused or stopped) stops it between parts.
 */
import { CancelledFailure } from '@temporalio/activity';
import type { FlushUnitInput, FlushUnitProgress, FlushUnitResult } from '../src/contract';
import { positionOf } from '../src/core/flush-plan';
import { profileLine, StageClock } from '../src/core/profile';
import { isPartRetry } from '../src/io/store/stream';
import {
  beat,
  type FlushEnv,
  flushPart,
  type PartOutcome,
  PartRefusedError,
  RecordsRefusedError,
} from './flush-part';

/**
 * Flush units running in this process. FLUSH_PART_RECORDS is the process's memory budget, shared by them: one
 * worker running all four units of a window holds no more records at once than one unit alone would.
 */
let unitsRunning = 0;
const partBudget = (env: FlushEnv) =>
  Math.max(1, Math.ceil(env.config.flushPartRecords / Math.max(1, unitsRunning)));

/** What the failures of a unit's parts so far teach its next try. */
export interface PartTries {
  /** Races lost in a row on a lock or an order ID with another unit (the part is read and planned again). */
  retries: number;
  /** Positions a sink refused, with its error: dead-lettered when their part is planned again. */
  refused: ReadonlyMap<string, string>;
  /** Set while a part MySQL refused is halved down to the record it refuses; otherwise this process's share. */
  budget: number | null;
}

export const firstTries = (): PartTries => ({ retries: 0, refused: new Map(), budget: null });

/**
 * After a part failed: how the next try goes, or (thrown) the error no try can help. A lost race is tried again
 * a few times; records Cassandra refused are dead-lettered; a part MySQL refused is halved (in offset order) until
 * the one record it refuses is alone, which is then dead-lettered. Refused again with that record already
 * dead-lettered, the data is not what fails: the refusal is thrown, retriable (retry, loudly).
 */
export function afterFailure(e: unknown, tries: PartTries): PartTries {
  if (isPartRetry(e) && tries.retries < 3) return { ...tries, retries: tries.retries + 1 };
  if (e instanceof RecordsRefusedError)
    return { ...tries, refused: new Map([...tries.refused, ...e.refused]) };
  if (!(e instanceof PartRefusedError)) throw e;
  if (e.records.length > 1) return { ...tries, budget: Math.ceil(e.records.length / 2) };
  const position = positionOf(e.records[0]);
  if (tries.refused.has(position)) throw e;
  return { ...tries, refused: new Map([...tries.refused, [position, e.message]]), budget: null };
}

/** Flushes one unit of a window; returns the unit's stats (what it committed, whichever attempt did). */
export async function flushUnit(env: FlushEnv, input: FlushUnitInput): Promise<FlushUnitResult> {
  const done =
    (await env.io.committedUnit(input, input.unit ?? 0)) ??
    // A window completed before windows had units (an upgrade while one was being retried).
    ((input.units ?? 1) === 1 ? await env.io.committedWindow(input) : null);
  if (done) return { ...done, nextRecordMs: null, emptyUntilMs: input.windowEndMs, alreadyCommitted: true };
  await env.io.topics();
  unitsRunning += 1;
  try {
    return await flushParts(env, input);
  } finally {
    unitsRunning -= 1;
  }
}

/** Part after part until one completes the unit; heartbeats the unit's progress after each. */
async function flushParts(env: FlushEnv, input: FlushUnitInput): Promise<FlushUnitResult> {
  let tries = firstTries();
  const progress: FlushUnitProgress = {
    phase: 'read',
    parts: 0,
    records: 0,
    partRecords: 0,
    complete: false,
  };
  // Where this window's time goes, stage by stage (logged with SALESFLOW_PROFILE=1 for the benchmark).
  const clock = new StageClock();
  for (;;) {
    let part: PartOutcome;
    try {
      const budget = tries.budget ?? partBudget(env);
      part = await flushPart(env, input, { budget, refused: tries.refused }, clock, progress);
    } catch (e) {
      tries = afterFailure(e, tries);
      continue;
    }
    tries = { ...tries, retries: 0 };
    if (part.committed) {
      progress.parts += 1;
      progress.records += part.records;
      progress.complete = part.complete;
      // One line per commit, so an open window's time is seen before it closes.
      if (env.config.profile)
        console.log(
          profileLine({ ...input, records: part.records, complete: part.complete, ms: clock.take() }),
        );
    }
    beat(env, progress, part.committed ? 'committed' : 'waiting', part.records);
    if (part.complete) return unitResult(env, input, part);
    // A pause or stop cancels an open window between parts; what was committed stays.
    if (env.ctx.cancellationSignal.aborted) throw new CancelledFailure('window interrupted');
    // Caught up with an open window: wait for more (or for its close), waking if Temporal cancels us.
    if (part.caughtUp) {
      const closeAtMs = input.closeAtMs ?? 0;
      await env.ctx.sleep(Math.max(0, Math.min(env.config.commitIntervalMs, closeAtMs - Date.now())));
      clock.mark('wait');
    }
  }
}

/** The unit's committed share once its last part is in, and what its reads learned about the next window. */
async function unitResult(env: FlushEnv, input: FlushUnitInput, last: PartOutcome): Promise<FlushUnitResult> {
  const unit = await env.io.committedUnit(input, input.unit ?? 0);
  if (!unit) throw new Error(`unit ${input.unit ?? 0} of window ${input.windowStartMs} vanished (a reset?)`);
  return {
    ...unit,
    partitions: last.partitions,
    nextRecordMs: last.nextRecordMs,
    // Anything appended after the read gets a later broker timestamp (1 s margin for clock skew).
    emptyUntilMs: last.readAt - 1000,
    alreadyCommitted: false,
  };
}
