/** One way to wait for a workflow while reporting its progress: the replay and the backfill both use it. */
import type { WorkflowHandle } from '@temporalio/client';

/**
 * Resolves with the workflow's result (or rejects with its failure); meanwhile, every `everyMs`, reads its
 * progress with `read` (null: nothing to report) and hands it to `onProgress`.
 */
export async function resultWithProgress<R, P>(
  handle: WorkflowHandle,
  read: () => Promise<P | null>,
  onProgress: (progress: P) => void,
  everyMs = 500,
): Promise<R> {
  let finished = false;
  const result = handle.result().finally(() => {
    finished = true;
  });
  while (!finished) {
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, everyMs))]);
    if (finished) break;
    const p = await read().catch(() => null);
    if (p) onProgress(p);
  }
  return (await result) as R;
}
