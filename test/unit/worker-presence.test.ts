/** The rule that tells a live worker from one Temporal still lists after it stopped (app/ops/worker-presence.ts). */
import { describe, expect, it } from 'vitest';
import { noWorkerPolls, TASK_WAIT_MS } from '../../app/ops/worker-presence';

const NOW = 1_800_000_000_000;
const SEC = 1000;

describe('noWorkerPolls', () => {
  it('no poller listed: nobody polls, whatever waits', () => {
    expect(noWorkerPolls({ pollsBeganMs: [], taskWaitingSinceMs: null }, NOW)).toBe(true);
    expect(noWorkerPolls({ pollsBeganMs: [], taskWaitingSinceMs: NOW - 5 * SEC }, NOW)).toBe(true);
  });

  it('a task waiting for seconds with no poll begun since it was queued: the listed worker is gone', () => {
    // Stopped a minute ago, still listed; the backfill's first task has waited 5 s.
    expect(noWorkerPolls({ pollsBeganMs: [NOW - 60 * SEC], taskWaitingSinceMs: NOW - 5 * SEC }, NOW)).toBe(
      true,
    );
    expect(
      noWorkerPolls({ pollsBeganMs: [NOW - 90 * SEC, null], taskWaitingSinceMs: NOW - 5 * SEC }, NOW),
    ).toBe(true);
  });

  it('a poll begun after the task was queued: someone polls', () => {
    expect(
      noWorkerPolls({ pollsBeganMs: [NOW - 60 * SEC, NOW - SEC], taskWaitingSinceMs: NOW - 5 * SEC }, NOW),
    ).toBe(false);
  });

  it('no task waiting: a live idle worker, its long poll a minute old, is not taken for gone', () => {
    expect(noWorkerPolls({ pollsBeganMs: [NOW - 59 * SEC], taskWaitingSinceMs: null }, NOW)).toBe(false);
  });

  it('a task queued a moment ago says nothing yet', () => {
    const since = NOW - TASK_WAIT_MS + 1;
    expect(noWorkerPolls({ pollsBeganMs: [NOW - 60 * SEC], taskWaitingSinceMs: since }, NOW)).toBe(false);
    expect(
      noWorkerPolls({ pollsBeganMs: [NOW - 60 * SEC], taskWaitingSinceMs: NOW - TASK_WAIT_MS }, NOW),
    ).toBe(true);
  });
});
