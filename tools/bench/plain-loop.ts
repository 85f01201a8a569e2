/**
 * The benchmark's plain loop (not a user command): the same activity functions (publishOrders, startStream,
 * flushUnit) on the same real clients (workers/clients.ts), driven window by window by a loop in this one
 * process instead of by Temporal, so `salesflow bench` can print Temporal's share beside the worker's run.
 * plainContext stands in for Temporal's activity Context: heartbeats go nowhere, SIGTERM cancels.
 *
 * `salesflow bench` runs it as its own process (like the worker) with an isolated pipeline's environment and
 * BENCH_LOOP_FILE naming the orders CSV; it prints `bench-loop <event> <epoch ms>` lines and runs until SIGTERM.
 */
import { plainContext } from '../../activities/context';
import { replayActivities } from '../../activities/replay';
import { streamActivities } from '../../activities/stream';
import { countDataRows } from '../../app/ops/replay';
import { loadConfig } from '../../src/config';
import type { FlushUnitResult, StreamStart } from '../../src/contract';
import { streamWorkflowId } from '../../src/ids';
import { ServiceClients, tuneHeap } from '../../workers/clients';
import { nextWindowStart } from '../../workflows/stream-state';

/** The stream workflow's default grace after a window's end (workflows/stream.ts, awaitWindow). */
const GRACE_MS = 500;

async function main(): Promise<void> {
  const config = loadConfig();
  const file = process.env.BENCH_LOOP_FILE;
  if (!file) throw new Error('BENCH_LOOP_FILE is not set');
  // The same heap as the worker's, so the two runs' RSS and CPU compare.
  tuneHeap(config);
  const deps = new ServiceClients(config);
  const cancel = new AbortController();
  const context = () => plainContext(cancel.signal);
  const activities = { ...streamActivities(deps, context), ...replayActivities(deps, context) };
  const streamId = streamWorkflowId(config);
  const topic = config.ordersTopic;
  const windowMs = config.windowSeconds * 1000;
  let stopping = false;
  process.once('SIGTERM', () => {
    stopping = true;
    cancel.abort();
  });

  const totalRows = await countDataRows(file);
  console.log(`bench-loop started ${Date.now()}`);
  const start: StreamStart = await activities.startStream({
    streamId,
    topic,
    windowSeconds: config.windowSeconds,
  });
  const publishing = activities
    .publishOrders({ file, topic, max: true, totalRows })
    .then(() => console.log(`bench-loop published ${Date.now()}`));

  // The workflow's loop, without the workflow: each window from its opening to its close, then the next one.
  let windowStartMs = start.firstWindowStartMs;
  while (!stopping) {
    const windowEndMs = windowStartMs + windowMs;
    const opensInMs = windowStartMs - Date.now();
    if (opensInMs > 0) await new Promise((r) => setTimeout(r, opensInMs));
    try {
      const result: FlushUnitResult = await activities.flushUnit({
        streamId,
        topic,
        windowStartMs,
        windowEndMs,
        closeAtMs: windowEndMs + GRACE_MS,
      });
      windowStartMs = nextWindowStart(result, windowEndMs, windowMs);
    } catch (e) {
      if (stopping) break;
      // The workflow would retry the window; so does the loop (a second later).
      console.error(`bench-loop: window ${windowStartMs} failed, retrying: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  await publishing.catch(() => undefined);
  await deps.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench-loop: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
