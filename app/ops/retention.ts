/**
 * The ledger's retention schedule: a Temporal Schedule per MySQL database that runs purgeCounted every hour.
 * `salesflow stream start` writes it (created, or updated to the current configuration); `salesflow reset` and
 * the isolated environments' cleanup delete it, so no schedule outlives the database it purges.
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleOptions,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { Config } from '../../src/config';
import { kindSearchAttributes, type PurgeCountedInput } from '../../src/contract';
import { retentionScheduleId } from '../../src/ids';
import { purgeCounted } from '../../workflows/retention';

export function retentionInput(config: Config): PurgeCountedInput {
  return { retentionDays: config.countedRetentionDays, windowSeconds: config.windowSeconds };
}

/**
 * Hourly: each run deletes about an hour of arrivals (bounded work, done in minutes even at 20,000 orders/s), and
 * the ledger never holds more than the retention plus an hour. A run never overlaps the previous one, and one
 * that cannot finish (no worker on the queue) times out before the next is due instead of blocking it.
 */
export function retentionSchedule(config: Config) {
  const input = retentionInput(config);
  return {
    scheduleId: retentionScheduleId(config),
    spec: { intervals: [{ every: '1 hour' }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: purgeCounted,
      workflowId: retentionScheduleId(config),
      taskQueue: config.taskQueue,
      args: [input] as [PurgeCountedInput],
      typedSearchAttributes: kindSearchAttributes('retention'),
      workflowExecutionTimeout: '55 minutes',
      staticSummary: `purge ${config.mysqlDatabase}.counted_orders older than ${input.retentionDays} days`,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  } satisfies ScheduleOptions;
}

/** Creates the schedule, or updates an existing one to this configuration (retention, window, task queue). */
export async function ensureRetentionSchedule(
  client: Client,
  config: Config,
): Promise<'created' | 'updated'> {
  const options = retentionSchedule(config);
  try {
    await client.schedule.create({ ...options, memo: { database: config.mysqlDatabase } });
    return 'created';
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
  }
  await client.schedule.getHandle(options.scheduleId).update((previous) => ({
    ...previous,
    spec: options.spec,
    action: options.action,
    policies: { ...previous.policies, ...options.policies },
  }));
  return 'updated';
}

/** Deletes the database's schedule; false when there was none. */
export async function deleteRetentionSchedule(client: Client, config: Config): Promise<boolean> {
  try {
    await client.schedule.getHandle(retentionScheduleId(config)).delete();
    return true;
  } catch (e) {
    if (e instanceof ScheduleNotFoundError) return false;
    throw e;
  }
}
