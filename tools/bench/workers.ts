/**
 * Scale-out: N orders published by the bench (the shop's producer) to a topic of `partitions` partitions, consumed
 * by `workers` worker processes; every unit of every window goes to whichever worker polls first. Each worker's
 * share is read from the units it completed.
 */
import * as os from 'node:os';
import { loadCustomers } from '../../app/ops/data';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { withClient } from '../../app/ops/temporal';
import type { Config } from '../../src/config';
import { streamWorkflowId } from '../../src/ids';
import { connectProducer, createKafka, ensureTopics, produceBatch } from '../../src/io/kafka';
import { createPool } from '../../src/io/mysql';
import { workByWorker } from '../../src/io/store/stream';
import { type ConsumerProcess, spawnWorker } from './consumer';
import type { Message } from './data';
import { starts } from './interrupt';
import { type BenchRun, type RunContext, type WorkerShare, workerShares } from './results';
import { benchPipeline, finishRun, startMeasuring, terminateStream } from './run';

export async function measureWorkers(
  ctx: RunContext,
  workers: number,
  partitions: number,
  messages: readonly Message[],
  customersCsv: string,
): Promise<BenchRun> {
  const iso = await benchPipeline(ctx, { KAFKA_PARTITIONS: String(partitions) });
  const config = iso.config;
  const consumers = Array.from({ length: workers }, () => spawnWorker(iso.env));
  const kafka = createKafka(config);
  const producer = await connectProducer(kafka);
  try {
    await Promise.all(consumers.map((c) => c.polling()));
    await ensureTopics(kafka, config);
    await loadCustomers(config, customersCsv);
    await withClient(config, (client) => starts(() => startStreamWorkflow(client, config)));
    console.error(`bench ${ctx.name}: ${ctx.orders} orders at max rate, ${partitions} partitions`);
    const start = startMeasuring(config);
    const started = Date.now();
    for (let i = 0; i < messages.length; i += 5000)
      await produceBatch(producer, config.ordersTopic, messages.slice(i, i + 5000));
    const published = Date.now();
    await waitCounted(config, { timeoutMs: 60 * 60_000 });
    const done = Date.now();
    await terminateStream(config);
    const shares = await sharesOf(config, consumers);
    const run = await finishRun(ctx, iso, consumers, { started, published, done }, start);
    run.partitions = partitions;
    run.workers = shares;
    console.error(
      `bench ${ctx.name}: shares ${shares.map((w) => `${(w.share * 100).toFixed(0)} %`).join(' / ')}`,
    );
    return run;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await Promise.all(consumers.map((c) => c.stop()));
    await iso.cleanup();
  }
}

/** Each worker's part, read while the processes still run (their CPU and peak RSS come from /proc). */
async function sharesOf(config: Config, consumers: ConsumerProcess[]): Promise<WorkerShare[]> {
  const pool = createPool(config, { connectionLimit: 1 });
  const byWorker = await workByWorker(pool, streamWorkflowId(config)).finally(() => pool.end());
  const processes = consumers.map((c) => ({
    pid: c.child.pid!,
    cpuSeconds: c.cpuSeconds(),
    peakRssMb: c.peakRssMb(),
  }));
  return workerShares(byWorker, processes, os.hostname());
}
