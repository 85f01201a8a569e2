/**
 * Whether a worker polls a task queue, from what Temporal says about it: its pollers, each with the time its
 * latest poll began, and the workflow task waiting on it. A poll's age alone cannot tell: Temporal lists a worker
 * among the pollers for minutes after it stopped, and a live, idle worker's poll can be a minute old (a long poll
 * lasts about that long). A waiting task can: a live worker with a poll open takes a task the moment it is
 * queued, so a task that has waited for seconds with no poll begun since it was queued has no worker to go to.
 */

/** How long a task must have waited before its waiting says anything (a worker polls again within ms). */
export const TASK_WAIT_MS = 2000;

/** What Temporal says, in milliseconds since the epoch (null: not known). */
export interface QueueSeen {
  /** When each listed poller's latest poll began. */
  pollsBeganMs: Array<number | null>;
  /** Since when the workflow's task has waited on the queue, untaken; null when none waits. */
  taskWaitingSinceMs: number | null;
}

/** True when no worker polls: none listed, or a task waited long enough with no poll begun since it was queued. */
export function noWorkerPolls(seen: QueueSeen, nowMs: number): boolean {
  if (seen.pollsBeganMs.length === 0) return true;
  const since = seen.taskWaitingSinceMs;
  if (since === null || nowMs - since < TASK_WAIT_MS) return false;
  return seen.pollsBeganMs.every((began) => began === null || began < since);
}
