/** plainContext: the Context the bench's plain loop gives the activities, cancelled by its own signal. */
import { CancelledFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { plainContext } from '../../activities/context';

describe('plainContext', () => {
  it('sleeps, and is a first attempt with nothing to resume from', async () => {
    const ctx = plainContext(new AbortController().signal);
    const started = Date.now();
    await ctx.sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(ctx.info.heartbeatDetails).toBeUndefined();
    expect(() => ctx.heartbeat({ any: 'thing' })).not.toThrow();
  });

  it('wakes a sleep with a CancelledFailure when its signal aborts, and refuses to sleep once aborted', async () => {
    const cancel = new AbortController();
    const ctx = plainContext(cancel.signal);
    const started = Date.now();
    const sleeping = ctx.sleep(60_000);
    setTimeout(() => cancel.abort(), 20);
    await expect(sleeping).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(ctx.cancellationSignal.aborted).toBe(true);
    await expect(ctx.sleep(10)).rejects.toBeInstanceOf(CancelledFailure);
  });
});
