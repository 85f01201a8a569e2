/**
 * Publishing alone: N generated orders replayed at max rate by a worker with no stream consuming them, so the
 * worker's CPU is the publisher's (publishOrders: read the CSV, encode the seed's JSON, produce). Its orders/s is
 * the ceiling the end-to-end runs can reach; the topic's message count checks that every order is there once.
 */
import { replayInput, startReplay } from '../../app/ops/replay';
import { withClient } from '../../app/ops/temporal';
import { createKafka, highWatermarks } from '../../src/io/kafka';
import { spawnWorker } from './consumer';
import { starts } from './interrupt';
import { load1 } from './meter';
import type { PublishRun, RunContext } from './results';
import { benchPipeline, startMeasuring } from './run';

export async function measurePublish(ctx: RunContext, ordersCsv: string): Promise<PublishRun> {
  const iso = await benchPipeline(ctx);
  const config = iso.config;
  const worker = spawnWorker(iso.env);
  try {
    await worker.polling();
    console.error(`bench ${ctx.name}: publishing ${ctx.orders} orders at max rate (no stream consuming)`);
    const input = await replayInput(config, { file: ordersCsv, max: true });
    const start = startMeasuring(config);
    const cpuBefore = worker.cpuSeconds();
    const started = Date.now();
    await withClient(config, async (client) => {
      const { handle } = await starts(() => startReplay(client, config, input));
      await handle.result();
    });
    const seconds = (Date.now() - started) / 1000;
    const publisherCpuSeconds = worker.cpuSeconds() - cpuBefore;
    const services = start.serviceCpu();
    const watermarks = await highWatermarks(createKafka(config), config.ordersTopic);
    const inTopic = [...watermarks.values()].reduce((n, w) => n + Number(w), 0);
    const run: PublishRun = {
      kind: 'publish',
      ...ctx,
      loadStart: start.loadStart,
      loadEnd: load1(),
      seconds,
      ordersPerSecond: Math.round(ctx.orders / seconds),
      inTopic,
      publisherCpuSeconds,
      publisherPeakRssMb: worker.peakRssMb(),
      serviceCpuSeconds: services,
    };
    console.error(
      `bench ${ctx.name}: published in ${seconds.toFixed(1)} s, ${run.ordersPerSecond} orders/s, ` +
        `${inTopic} messages in the topic`,
    );
    return run;
  } finally {
    await worker.stop();
    await iso.cleanup();
  }
}
