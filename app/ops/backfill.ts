/** Backfills: their progress, whatever their state. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { type BackfillProgress, type BackfillResult, backfillProgressQuery } from '../../src/contract';

/** A query answered by a worker, or null when none answers within a few seconds. */
export async function queryProgress(
  client: Client,
  handle: WorkflowHandle,
): Promise<BackfillProgress | null> {
  try {
    return await client.connection.withDeadline(Date.now() + 5000, () => handle.query(backfillProgressQuery));
  } catch {
    return null;
  }
}

/**
 * A backfill's progress whatever its state: a finished one's result (no worker needed), a running one's
 * progress query, else (no worker answering, failed, cancelled, terminated) the progress its memo last recorded.
 */
export async function backfillStatus(client: Client, handle: WorkflowHandle): Promise<BackfillProgress> {
  const d = await handle.describe();
  const status = d.status.name;
  if (status === 'COMPLETED') return (await handle.result()) as BackfillResult;
  if (status === 'RUNNING') {
    const live = await queryProgress(client, handle);
    if (live) return live;
  }
  const memo = (d.memo ?? {}) as Partial<BackfillProgress> & { range?: string };
  const [from, to] = (memo.range ?? '..').split('..');
  const phases: Record<string, BackfillProgress['phase']> = {
    RUNNING: 'running',
    FAILED: 'failed',
    CANCELLED: 'cancelled',
    TERMINATED: 'terminated',
    TIMED_OUT: 'timed out',
    CONTINUED_AS_NEW: 'running',
  };
  return {
    phase: phases[status] ?? 'failed',
    from: memo.from ?? from,
    to: memo.to ?? to,
    source: memo.source ?? 'cassandra',
    daysTotal: memo.daysTotal ?? 0,
    daysDone: memo.daysDone ?? 0,
    chunksTotal: memo.chunksTotal ?? 0,
    chunksDone: memo.chunksDone ?? 0,
    orders: memo.orders ?? 0,
    rows: memo.rows ?? 0,
    unattributed: memo.unattributed ?? 0,
  };
}
