/**
 * The flush of one unit as an activity, in Temporal's MockActivityEnvironment (heartbeats observed, cancellation
 * delivered as a worker would), with its collaborators in memory (FakeFlushIo): its heartbeats carry the unit's
 * progress, the fault hook runs between the raw writes and the commit, and a cancel stops it between parts with
 * every commit a whole part. The parts' failure handling (afterFailure) is pure and tested on its own.
 */
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { temporalContext } from '../../activities/context';
import type { ActivityFaults } from '../../activities/deps';
import { PartRefusedError, RecordsRefusedError } from '../../activities/flush-part';
import { afterFailure, firstTries, flushUnit } from '../../activities/flush-unit';
import type { FlushUnitInput, FlushUnitProgress } from '../../src/contract';
import type { SourceRecord } from '../../src/core/flush-plan';
import { DriverError, SinkRejectedError } from '../../src/io/driver-errors';
import { FakeFlushIo } from '../helpers/fake-flush-io';

const WINDOW_MS = 15_000;
const windowStartMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 10 * WINDOW_MS;

/** A window that closed long ago, or one still open for a minute. */
const closedWindow: FlushUnitInput = {
  streamId: 's',
  topic: 't',
  windowStartMs,
  windowEndMs: windowStartMs + WINDOW_MS,
  closeAtMs: windowStartMs + WINDOW_MS + 500,
};
const openWindow = (): FlushUnitInput => {
  const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
  return {
    ...closedWindow,
    windowStartMs: start,
    windowEndMs: start + 4 * WINDOW_MS,
    closeAtMs: Date.now() + 60_000,
  };
};

/** Runs flushUnit as the activity does, with the mock's Context; collects its heartbeats. */
function activity(io: FakeFlushIo, opts: { partRecords: number; faults?: ActivityFaults }) {
  const mock = new MockActivityEnvironment();
  const beats: FlushUnitProgress[] = [];
  mock.on('heartbeat', (d: FlushUnitProgress) => beats.push(d));
  const config = { flushPartRecords: opts.partRecords, commitIntervalMs: 20, profile: false };
  const run = (input: FlushUnitInput) =>
    mock.run(
      (i: FlushUnitInput) => flushUnit({ io, ctx: temporalContext(), config, faults: opts.faults }, i),
      input,
    );
  return { mock, beats, run };
}

describe('flushUnit in an activity context', () => {
  it('heartbeats the unit progress: each part read, written, held before its commit, then committed', async () => {
    const io = new FakeFlushIo();
    io.publish(0, 1, 25, windowStartMs + 1000);
    const { beats, run } = activity(io, { partRecords: 10 });
    const result = await run(closedWindow);

    expect(result).toMatchObject({ records: 25, orders: 25, alreadyCommitted: false });
    expect(io.commits.map((c) => [c.offsetsBefore, c.offsetsAfter, c.complete])).toEqual([
      [{ 0: '0' }, { 0: '10' }, false],
      [{ 0: '10' }, { 0: '20' }, false],
      [{ 0: '20' }, { 0: '25' }, true],
    ]);
    const committed = beats.filter((b) => b.phase === 'committed');
    expect(committed.map((b) => [b.parts, b.records, b.partRecords, b.complete])).toEqual([
      [1, 10, 10, false],
      [2, 20, 10, false],
      [3, 25, 5, true],
    ]);
    // Every part goes through the phases in order, and says before its commit what it is about to commit.
    const phases = beats.map((b) => b.phase);
    expect(phases).toEqual(Array(3).fill(['read', 'write-raw', 'before-commit', 'committed']).flat());
    const held = beats.filter((b) => b.phase === 'before-commit');
    expect(held.map((b) => [b.parts, b.partRecords])).toEqual([
      [0, 10],
      [1, 10],
      [2, 5],
    ]);
  });

  it('calls the beforeCommit fault hook once per part, after the raw orders, before the commit', async () => {
    const io = new FakeFlushIo();
    io.publish(0, 1, 15, windowStartMs + 1000);
    const held: Array<{ input: FlushUnitInput; commits: number }> = [];
    const faults: ActivityFaults = {
      async beforeCommit(unit) {
        io.calls.push('before-commit');
        held.push({ input: unit, commits: io.commits.length });
      },
    };
    await activity(io, { partRecords: 10, faults }).run(closedWindow);
    expect(io.calls).toEqual(Array(2).fill(['read 0', 'upsert', 'before-commit', 'commit']).flat());
    expect(held).toEqual([
      { input: closedWindow, commits: 0 },
      { input: closedWindow, commits: 1 },
    ]);
  });

  it('cancelled mid-part: finishes that part whole, commits nothing more, and fails as cancelled', async () => {
    const io = new FakeFlushIo();
    io.publish(0, 1, 40, windowStartMs + 1000);
    const { mock, run } = activity(io, { partRecords: 10 });
    // The stream is paused while the second part writes its raw orders.
    io.beforeUpsert = async (call) => {
      if (call === 2) mock.cancel();
    };
    await expect(run(closedWindow)).rejects.toBeInstanceOf(CancelledFailure);

    expect(io.commits.map((c) => [c.offsetsBefore, c.offsetsAfter, c.complete])).toEqual([
      [{ 0: '0' }, { 0: '10' }, false],
      [{ 0: '10' }, { 0: '20' }, false],
    ]);
    expect(io.checkpoint.get('0')).toBe('20');
    // Each commit holds its whole part, and nothing was read or written for a third.
    for (const c of io.commits) expect(c.counted.length).toBe(c.records);
    expect(io.rawWrites.flat().map((r) => r.orderId)).toEqual(
      io.commits.flatMap((c) => c.counted.map((o) => o.orderId)),
    );
    expect(io.calls.filter((c) => c.startsWith('read'))).toHaveLength(2);
  });

  it('cancelled while waiting in an open window: wakes at once, keeps what it committed', async () => {
    const io = new FakeFlushIo();
    const input = openWindow();
    io.publish(0, 1, 5, Date.now());
    const { mock, beats, run } = activity(io, { partRecords: 10 });
    mock.on('heartbeat', (b: FlushUnitProgress) => {
      if (b.phase === 'waiting') mock.cancel();
    });
    const started = Date.now();
    await expect(run(input)).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(5000); // not held until the window's close, a minute away
    expect(io.commits).toHaveLength(1);
    expect(io.commits[0]).toMatchObject({ records: 5, complete: false });
    expect(beats.at(-1)).toMatchObject({ phase: 'waiting', parts: 1, records: 5, complete: false });
  });

  it('returns a unit committed by an earlier attempt without reading anything', async () => {
    const io = new FakeFlushIo();
    io.publish(0, 1, 5, windowStartMs + 1000);
    await activity(io, { partRecords: 10 }).run(closedWindow);
    const calls = io.calls.length;
    const again = await activity(io, { partRecords: 10 }).run(closedWindow);
    expect(again).toMatchObject({
      records: 5,
      alreadyCommitted: true,
      emptyUntilMs: closedWindow.windowEndMs,
    });
    expect(io.calls).toHaveLength(calls);
  });
});

describe('afterFailure', () => {
  const record = (offset: number): SourceRecord => ({
    partition: 0,
    offset: String(offset),
    timestampMs: 0,
    value: null,
  });
  const refusedBy = (records: SourceRecord[]) =>
    new PartRefusedError(records, new SinkRejectedError('mysql', 'Out of range value for column amount'));
  const lostRace = new DriverError('mysql', 'Deadlock found', { retriable: true, errno: 1213 });

  it('tries a lost race again three times in a row, then gives up with its error', () => {
    let tries = firstTries();
    for (let i = 1; i <= 3; i++) {
      tries = afterFailure(lostRace, tries);
      expect(tries.retries).toBe(i);
    }
    expect(() => afterFailure(lostRace, tries)).toThrow('Deadlock found');
  });

  it('halves a part MySQL refuses down to its one record, which is then dead-lettered', () => {
    let tries = afterFailure(refusedBy([0, 1, 2, 3, 4].map(record)), firstTries());
    expect(tries.budget).toBe(3);
    tries = afterFailure(refusedBy([record(3)]), tries);
    expect(tries.budget).toBeNull();
    expect([...tries.refused]).toEqual([['0/3', 'mysql: Out of range value for column amount']]);
    // Refused again although dead-lettered: the sink, not the record, is at fault: the activity is tried again.
    const again = refusedBy([record(3)]);
    expect(() => afterFailure(again, tries)).toThrow(again);
    expect(again.retriable).toBe(true);
  });

  it('adds records Cassandra refused to the refused, and throws anything else', () => {
    const tries = afterFailure(new RecordsRefusedError(new Map([['0/7', 'cassandra: bad']])), firstTries());
    expect([...tries.refused]).toEqual([['0/7', 'cassandra: bad']]);
    expect(() => afterFailure(new Error('Kafka down'), tries)).toThrow('Kafka down');
  });
});
