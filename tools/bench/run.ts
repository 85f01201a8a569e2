/**
 * The frame every bench run shares: its start (the load average, the services' CPU meter), the stream's end
 * (terminated: a throw-away pipeline has no one to stop it), and its finish (the consumers' numbers read, then
 * the sinks counted into a BenchRun).
 */
import * as os from 'node:os';
import { createIsolatedEnv, type IsolatedEnv } from '../../app/ops/isolated';
import { withClient } from '../../app/ops/temporal';
import type { Config } from '../../src/config';
import { addStageMs, emptyStageMs } from '../../src/core/profile';
import { replayWorkflowId, streamWorkflowId } from '../../src/ids';
import type { ConsumerProcess } from './consumer';
import { undoable } from './interrupt';
import { load1, type ServiceCpuSeconds, serviceCpuMeter } from './meter';
import { type BenchRun, endToEnd, type RunContext, type RunTimes, type SinkCounts } from './results';
import { sinkCounts } from './sinks';

/** What a run notes when its traffic starts: the load then, and a meter of the services' CPU from then. */
export interface RunStart {
  loadStart: number;
  serviceCpu: () => ServiceCpuSeconds;
}

/**
 * A throw-away pipeline for one run (own topic, database, keyspace, task queue), with the run's window. Until
 * the run's own `cleanup`, a signal to the bench ends its workflows and drops it (interrupt.ts).
 */
export async function benchPipeline(ctx: RunContext, env: Record<string, string> = {}): Promise<IsolatedEnv> {
  const iso = await createIsolatedEnv('bench', { WINDOW_SECONDS: String(ctx.windowSeconds), ...env });
  const cleanup = undoable(`pipeline ${iso.config.consumerName}`, async () => {
    await endWorkflows(iso.config);
    await iso.cleanup();
  });
  return { ...iso, cleanup };
}

/** Terminates the pipeline's stream and replay workflows, if they run (a stopped bench leaves no workflow). */
const endWorkflows = (config: Config) =>
  terminate(config, [streamWorkflowId(config), replayWorkflowId(config)], 'bench stopped');

/** Terminates workflows by ID; one not started, or already over, is no error. */
async function terminate(config: Config, ids: string[], reason: string): Promise<void> {
  await withClient(config, async (client) => {
    for (const id of ids)
      await client.workflow
        .getHandle(id)
        .terminate(reason)
        .catch(() => undefined);
  });
}

export function startMeasuring(config: Config): RunStart {
  return { loadStart: load1(), serviceCpu: serviceCpuMeter(config) };
}

/** Ends a run's stream once its orders are counted: a throw-away pipeline has no one to stop it. */
export const terminateStream = (config: Config) =>
  terminate(config, [streamWorkflowId(config)], 'bench done');

/** The common half of a run's result: the sinks checked, the consumers' and services' numbers. */
export async function finishRun(
  ctx: RunContext,
  iso: IsolatedEnv,
  consumers: ConsumerProcess | ConsumerProcess[],
  times: RunTimes,
  start: RunStart,
): Promise<BenchRun> {
  const all = [consumers].flat();
  const consumerPeakRssMb = Math.max(...all.map((c) => c.peakRssMb()));
  const consumerCpuSeconds = Math.round(all.reduce((n, c) => n + c.cpuSeconds(), 0) * 10) / 10;
  const services = start.serviceCpu();
  const loadEnd = load1();
  // Stopped before their profiles are read: the last commit's line is then surely in.
  await Promise.all(all.map((c) => c.stop()));
  const stageMs = emptyStageMs();
  for (const c of all) addStageMs(stageMs, c.stageMs);
  // A failed count must not lose the run's numbers: it shows as -1 and "not exactly once".
  const counts: SinkCounts = await sinkCounts(iso.config).catch((e) => {
    console.error(`bench ${ctx.name}: counting the sinks failed: ${(e as Error).message}`);
    return { countedOrders: -1, totalsOrders: -1, cassandraOrders: -1 };
  });
  const { exactlyOnce, ...phases } = endToEnd(ctx.orders, times, counts);
  const run: BenchRun = {
    ...ctx,
    cores: os.cpus().length,
    loadStart: start.loadStart,
    loadEnd,
    ...phases,
    ...counts,
    exactlyOnce,
    consumerPeakRssMb,
    consumerCpuSeconds,
    serviceCpuSeconds: services,
    windows: new Set(all.flatMap((c) => [...c.windows])).size,
    commits: all.reduce((n, c) => n + c.commits, 0),
    stageMs,
    cpuProfile: all[0].cpuProfile(),
  };
  console.error(
    `bench ${ctx.name} (${ctx.driver}): published in ${run.publishSeconds.toFixed(1)} s, counted ` +
      `${run.catchUpSeconds.toFixed(1)} s later; ${run.ordersPerSecond} orders/s end to end; ` +
      `exactly once: ${run.exactlyOnce ? 'yes' : `NO (${JSON.stringify(counts)})`}; peak RSS ${consumerPeakRssMb} MB`,
  );
  return run;
}
