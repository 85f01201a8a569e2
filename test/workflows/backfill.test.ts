/**
 * backfill with fake activities on an ephemeral Temporal server: months fan out within the concurrency limit,
 * progress adds up, a month that fails for good fails the backfill with its reason and cancels the others, a
 * cancel stops it, and a range no backfill may cover is refused by the workflow itself.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { type BackfillInput, type BackfillResult, backfillProgressQuery } from '../../src/contract';
import { daysBetween } from '../../src/core/days';
import { backfill } from '../../workflows/backfill';
import { useFakeWorker } from '../helpers/workflow-env';

describe('backfill with fake activities', () => {
  let active = 0;
  let peak = 0;
  const started: string[] = [];
  const cancelled: string[] = [];
  /** The month whose activity fails for good, if any; months listed in `hang` wait until cancelled. */
  let failing: string | null = null;
  let hang = false;

  const fake = useFakeWorker({
    async backfillRange({ from, to }) {
      started.push(from);
      active += 1;
      peak = Math.max(peak, active);
      try {
        if (from.slice(0, 7) === failing) throw ApplicationFailure.nonRetryable(`MySQL refused ${from}`);
        const ctx = Context.current();
        if (hang) {
          for (;;) {
            ctx.heartbeat();
            await ctx.sleep(100); // throws CancelledFailure once the workflow cancels this activity
          }
        }
        await ctx.sleep(150);
        const days = daysBetween(from, to);
        return { days, orders: days * 10, rows: days * 3, unattributed: 1 };
      } catch (e) {
        if (e instanceof CancelledFailure) cancelled.push(from);
        throw e;
      } finally {
        active -= 1;
      }
    },
  });

  const run = (id: string, input: Partial<BackfillInput>) =>
    fake.env.client.workflow.start(backfill, {
      taskQueue: fake.taskQueue,
      workflowId: id,
      args: [{ from: '2018-01-01', to: '2018-06-30', source: 'cassandra', concurrency: 2, ...input }],
    });

  it('fans months out within the concurrency limit and adds their results up', async () => {
    peak = 0;
    started.length = 0;
    const handle = await run('bf-ok', {});
    const result = (await handle.result()) as BackfillResult;
    expect(result).toMatchObject({
      phase: 'done',
      daysTotal: 181,
      daysDone: 181,
      chunksTotal: 6,
      chunksDone: 6,
      orders: 1810,
      rows: 543,
      unattributed: 6,
    });
    expect(started.sort()).toEqual([
      '2018-01-01',
      '2018-02-01',
      '2018-03-01',
      '2018-04-01',
      '2018-05-01',
      '2018-06-01',
    ]);
    expect(peak).toBe(2);
    expect(await handle.query(backfillProgressQuery)).toMatchObject({ phase: 'done', daysDone: 181 });
    expect((await handle.describe()).memo).toMatchObject({ daysDone: 181, daysTotal: 181 });
  }, 60_000);

  it('fails with the reason of a month that fails for good, cancelling the months still running', async () => {
    failing = '2018-03';
    hang = true;
    cancelled.length = 0;
    try {
      const handle = await run('bf-fail', { concurrency: 6 });
      const err = await handle.result().catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String(err.cause?.cause?.message ?? err.cause?.message)).toMatch(/MySQL refused 2018-03-01/);
      expect((await handle.query(backfillProgressQuery)).phase).toBe('failed');
      // Every other month was running (concurrency 6) and was cancelled, not left behind.
      expect(cancelled.sort()).toEqual([
        '2018-01-01',
        '2018-02-01',
        '2018-04-01',
        '2018-05-01',
        '2018-06-01',
      ]);
    } finally {
      failing = null;
      hang = false;
    }
  }, 60_000);

  it('stops cleanly when cancelled', async () => {
    hang = true;
    cancelled.length = 0;
    try {
      const handle = await run('bf-cancel', { concurrency: 2 });
      const deadline = Date.now() + 10_000;
      while (active < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
      const err = await handle.result().catch((e) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect(cancelled.length).toBe(2);
      expect((await handle.query(backfillProgressQuery)).phase).toBe('cancelled');
    } finally {
      hang = false;
    }
  }, 60_000);

  it('refuses a range no backfill may cover, without running an activity', async () => {
    started.length = 0;
    const handle = await run('bf-bounds', { from: '0001-01-01', to: '9999-12-31' });
    const err = await handle.result().catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause).toMatchObject({
      type: 'InvalidInput',
      message: expect.stringMatching(/years 1000\.\.9999/),
    });
    expect(started).toEqual([]);
  }, 60_000);
});
