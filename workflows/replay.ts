/**
 * replayOrders: publishes a CSV of orders into Kafka through the publishOrders activity. The activity heartbeats
 * its position, so a retry after a worker crash resumes from the last heartbeat; the stream's order-ID ledger
 * makes any re-sent order a duplicate, never sales.
 */
import { patched, proxyActivities, setHandler, upsertMemo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  type PublishOrdersInput,
  type PublishOrdersResult,
  type ReplayStatus,
  replayStatusQuery,
} from '../src/contract';

const { publishOrders } = proxyActivities<Activities>({
  // A slow paced replay (the seed's 1 order/s) of a large file runs for hours; heartbeats prove it is alive.
  startToCloseTimeout: '7 days',
  heartbeatTimeout: '10 seconds',
  // An input file no retry can fix (missing, not an orders CSV) fails at once: the activity's error says so.
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
  },
});

export async function replayOrders(input: PublishOrdersInput): Promise<PublishOrdersResult> {
  const status: ReplayStatus = { phase: 'publishing', input, result: null };
  setHandler(replayStatusQuery, () => status);
  // What it replays, for the UI, also when started by Temporal's own CLI (older replays replay without it).
  if (patched('replay-memo-at-start')) {
    upsertMemo({
      file: input.file,
      topic: input.topic,
      pace: input.max ? 'max' : input.speedup ? `speedup ${input.speedup}x` : `${input.rate ?? 1} orders/s`,
    });
  }
  try {
    status.result = await publishOrders.executeWithOptions({ summary: `publish ${input.file}` }, [input]);
    status.phase = 'done';
    upsertMemo({ published: status.result.published, badRows: status.result.badRows });
    return status.result;
  } catch (e) {
    status.phase = 'failed';
    throw e;
  }
}
