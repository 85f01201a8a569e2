/** One way to wait for a workflow while reporting its progress: the replay and the backfill both use it. */
import type { WorkflowHandle } from '@temporalio/client';
import { workflowResult } from './temporal';
import { noWorkerPolls } from './worker-presence';

/** How long a wait goes on before it checks that a worker polls the workflow's task queue. */
const WORKER_CHECK_MS = 5000;
/** TASK_QUEUE_TYPE_WORKFLOW in Temporal's API. */
const WORKFLOW_TASK_QUEUE = 1;
/** PENDING_WORKFLOW_TASK_STATE_SCHEDULED: queued, not yet taken by a worker. */
const TASK_SCHEDULED = 1;

/** A protobuf Timestamp (seconds may be a Long) in ms since the epoch. */
const timestampMs = (ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number | null =>
  ts ? Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6) : null;

/**
 * Says so on stderr when no worker polls the workflow's task queue (./worker-presence.ts): the wait would
 * otherwise look hung. Quiet when Temporal cannot tell (the wait itself reports real failures).
 */
async function warnIfNoWorker(handle: WorkflowHandle): Promise<void> {
  try {
    const { taskQueue, raw } = await handle.describe();
    const { pollers } = await handle.client.workflowService.describeTaskQueue({
      namespace: handle.client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: WORKFLOW_TASK_QUEUE,
    });
    const task = raw.pendingWorkflowTask;
    const seen = {
      pollsBeganMs: (pollers ?? []).map((p) => timestampMs(p.lastAccessTime)),
      taskWaitingSinceMs: task?.state === TASK_SCHEDULED ? timestampMs(task.scheduledTime) : null,
    };
    if (noWorkerPolls(seen, Date.now()))
      console.error(
        `waiting: no worker polls task queue ${taskQueue}; start one with \`npx salesflow worker\` ` +
          '(Ctrl-C stops waiting; the workflow keeps its place)',
      );
  } catch {
    // no answer about pollers: nothing to add
  }
}

/**
 * Resolves with the workflow's result (or rejects with its failure); meanwhile, every `everyMs`, reads its
 * progress with `read` (null: nothing to report) and hands it to `onProgress`. A wait that lasts says once
 * whether any worker is there to do the work.
 */
export async function resultWithProgress<R, P>(
  handle: WorkflowHandle,
  read: () => Promise<P | null>,
  onProgress: (progress: P) => void,
  everyMs = 500,
): Promise<R> {
  let finished = false;
  const result = workflowResult<R>(handle).finally(() => {
    finished = true;
  });
  const started = Date.now();
  let checked = false;
  while (!finished) {
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, everyMs))]);
    if (finished) break;
    if (!checked && Date.now() - started >= WORKER_CHECK_MS) {
      checked = true;
      await warnIfNoWorker(handle);
    }
    const p = await read().catch(() => null);
    if (p) onProgress(p);
  }
  return await result;
}

/** The workflow's result, saying once if no worker is there to produce it. */
export function resultOf<R>(handle: WorkflowHandle): Promise<R> {
  return resultWithProgress<R, never>(
    handle,
    async () => null,
    () => undefined,
  );
}
