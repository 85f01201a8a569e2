/**
 * Max-rate throughput, end to end, twice over the same orders: through Temporal (the worker, its own process,
 * publishes with publishOrders and consumes with flushUnit) and through the plain loop (the same activities
 * without Temporal, also its own process). The difference is Temporal's share.
 */
import { loadCustomers } from '../../app/ops/data';
import { replayInput, startReplay } from '../../app/ops/replay';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { withClient } from '../../app/ops/temporal';
import { spawnPlainLoop, spawnWorker } from './consumer';
import { starts } from './interrupt';
import type { BenchRun, RunContext } from './results';
import { benchPipeline, finishRun, startMeasuring, terminateStream } from './run';

/** Max-rate replay through Temporal: the worker (its own process) publishes and consumes. */
export async function measureTemporal(
  ctx: RunContext,
  ordersCsv: string,
  customersCsv: string,
): Promise<BenchRun> {
  const iso = await benchPipeline(ctx);
  const config = iso.config;
  const worker = spawnWorker(iso.env);
  try {
    await worker.polling();
    await loadCustomers(config, customersCsv);
    console.error(`bench ${ctx.name}: replaying ${ctx.orders} orders at max rate through Temporal`);
    const start = startMeasuring(config);
    const started = Date.now();
    const published = await withClient(config, async (client) => {
      await starts(() => startStreamWorkflow(client, config));
      const input = await replayInput(config, { file: ordersCsv, max: true });
      const { handle } = await starts(() => startReplay(client, config, input));
      await handle.result();
      return Date.now();
    });
    await waitCounted(config, { timeoutMs: 60 * 60_000 });
    const done = Date.now();
    await terminateStream(config);
    return await finishRun(ctx, iso, worker, { started, published, done }, start);
  } finally {
    await worker.stop();
    await iso.cleanup();
  }
}

/** The same replay and flush, driven by the plain loop (its own process, no Temporal). */
export async function measurePlain(
  ctx: RunContext,
  ordersCsv: string,
  customersCsv: string,
): Promise<BenchRun> {
  const iso = await benchPipeline(ctx);
  const config = iso.config;
  await loadCustomers(config, customersCsv);
  console.error(`bench ${ctx.name}: replaying ${ctx.orders} orders at max rate through the plain loop`);
  const start = startMeasuring(config);
  const loop = spawnPlainLoop(iso.env, ordersCsv);
  try {
    // The loop prints `bench-loop <event> <epoch ms>`: its own clock of when it started and finished publishing.
    const at = (line: string) => Number(line.split(' ').pop());
    const started = at(await loop.waitForLine((l) => l.startsWith('bench-loop started')));
    const published = at(await loop.waitForLine((l) => l.startsWith('bench-loop published')));
    await waitCounted(config, { timeoutMs: 60 * 60_000 });
    const done = Date.now();
    return await finishRun(ctx, iso, loop, { started, published, done }, start);
  } finally {
    await loop.stop();
    await iso.cleanup();
  }
}
