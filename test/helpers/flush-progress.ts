/**
 * The stream's running flushUnit activities as Temporal sees them (the workflow's pending activities): which
 * worker runs each, and the FlushUnitProgress it heartbeated last, decoded.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { FlushUnitProgress } from '../../src/contract';

export interface PendingFlush {
  /** The worker that last ran it (pid@host). */
  worker: string;
  /** Its last heartbeat's details, once one has reached the server. */
  progress: FlushUnitProgress | undefined;
}

export async function pendingFlushes(handle: WorkflowHandle): Promise<PendingFlush[]> {
  const { raw } = await handle.describe();
  return (raw.pendingActivities ?? [])
    .filter((p) => p.activityType?.name === 'flushUnit')
    .map((p) => {
      const details = p.heartbeatDetails?.payloads?.[0];
      return {
        worker: p.lastWorkerIdentity ?? '',
        progress: details
          ? defaultPayloadConverter.fromPayload<FlushUnitProgress>(details as Payload)
          : undefined,
      };
    });
}
