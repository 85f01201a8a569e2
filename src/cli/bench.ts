/**
 * `salesflow bench` (= `npm run bench`): the pipeline's numbers, measured on the running local stack in isolated
 * pipelines (own topic, database, keyspace; dropped afterwards) with the worker as a separate process:
 *  1. latency: seconds from the end of publishing the default 18,760 orders to all of them counted;
 *  2. throughput: a larger generated set (default 200,000 orders) replayed at max rate, end-to-end orders/s;
 *  3. the worker's peak RSS in each run.
 * Numbers only; nothing here asserts a time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Config, loadConfig, REPO_ROOT } from '../config';
import { DEFAULT_GENERATE_OPTIONS } from '../core/generate';
import { EXIT } from '../errors';
import { streamWorkflowId } from '../ids';
import { loadCustomers } from '../ops/data';
import { createIsolatedEnv } from '../ops/isolated';
import { replayInput, startReplay } from '../ops/replay';
import { startStream, waitCounted } from '../ops/stream';
import { withClient } from '../ops/temporal';
import { numberFlag, parse } from './args';
import { writeDataSet } from './generate';
import { printTable } from './output';

export const BENCH_HELP = `Usage: salesflow bench [--orders N] [--window-seconds N] [--json]

Measures, on the running stack (salesflow stack up), in throw-away pipelines:
  latency      seconds from the end of publishing data/orders.csv to every order counted
  throughput   end-to-end orders/s replaying N generated orders at max rate (default 200000)
  worker RSS   the worker process's peak resident memory in each run

Options:
  --orders N          orders in the throughput run (default 200000; 0 skips it)
  --window-seconds N  window length (default WINDOW_SECONDS, 15)
  --json              print the results as JSON
  --cassandra         instead: Cassandra's write rates from Node (salesflow bench --cassandra --help)`;

export interface BenchRun {
  name: string;
  orders: number;
  windowSeconds: number;
  publishSeconds: number;
  /** From the end of publishing to the last order counted. */
  catchUpSeconds: number;
  /** From the start of publishing to the last order counted. */
  endToEndSeconds: number;
  ordersPerSecond: number;
  workerPeakRssMb: number;
}

/** The worker's VmHWM (peak resident set) from /proc, in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/salesflow.js'), 'worker'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function measure(
  name: string,
  ordersCsv: string,
  customersCsv: string,
  orders: number,
  windowSeconds: number,
): Promise<BenchRun> {
  const iso = await createIsolatedEnv('bench', { WINDOW_SECONDS: String(windowSeconds) });
  const config: Config = iso.config;
  const worker = startWorkerProcess(iso.env);
  try {
    await loadCustomers(config, customersCsv);
    console.error(`bench ${name}: replaying ${orders} orders at max rate, windows of ${windowSeconds} s`);
    const started = Date.now();
    const published = await withClient(config, async (client) => {
      await startStream(client, config);
      const input = await replayInput(config, { file: ordersCsv, max: true });
      const { handle } = await startReplay(client, config, input);
      await handle.result();
      return Date.now();
    });
    await waitCounted(config, { timeoutMs: 30 * 60_000 });
    const done = Date.now();
    const rss = peakRssMb(worker.pid!);
    await withClient(config, (client) =>
      client.workflow
        .getHandle(streamWorkflowId(config))
        .terminate('bench done')
        .catch(() => undefined),
    );
    const run: BenchRun = {
      name,
      orders,
      windowSeconds,
      publishSeconds: (published - started) / 1000,
      catchUpSeconds: (done - published) / 1000,
      endToEndSeconds: (done - started) / 1000,
      ordersPerSecond: Math.round(orders / ((done - started) / 1000)),
      workerPeakRssMb: rss,
    };
    console.error(
      `bench ${name}: published in ${run.publishSeconds.toFixed(1)} s, counted ${run.catchUpSeconds.toFixed(1)} s later; ` +
        `${run.ordersPerSecond} orders/s end to end; worker peak RSS ${rss} MB`,
    );
    return run;
  } finally {
    await stopWorker(worker);
    await iso.cleanup();
  }
}

export async function runBench(args: string[]): Promise<number> {
  if (args.includes('--cassandra'))
    return (await import('../bench/cassandra-writes')).runCassandraBench(
      args.filter((a) => a !== '--cassandra'),
    );
  const p = parse(args, {
    orders: { type: 'string' },
    'window-seconds': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (p.help) {
    console.log(BENCH_HELP);
    return EXIT.ok;
  }
  const config = loadConfig();
  const large = numberFlag(p.values.orders, 'orders', { integer: true, min: 0 }) ?? 200_000;
  const windowSeconds =
    numberFlag(p.values['window-seconds'], 'window-seconds', { integer: true, min: 1 }) ??
    config.windowSeconds;

  const runs: BenchRun[] = [];
  const dataDir = path.join(REPO_ROOT, 'data');
  runs.push(
    await measure(
      'default set',
      path.join(dataDir, 'orders.csv'),
      path.join(dataDir, 'customers.csv'),
      DEFAULT_GENERATE_OPTIONS.orders,
      windowSeconds,
    ),
  );
  if (large > 0) {
    const dir = fs.mkdtempSync(path.join(config.stateDir, 'bench-'));
    try {
      console.error(`bench: generating ${large} orders`);
      await writeDataSet({ ...DEFAULT_GENERATE_OPTIONS, orders: large, seed: 2 }, dir);
      runs.push(
        await measure(
          `${large} generated`,
          path.join(dir, 'orders.csv'),
          path.join(dir, 'customers.csv'),
          large,
          windowSeconds,
        ),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  if (p.values.json) console.log(JSON.stringify(runs, null, 2));
  else
    printTable(
      [
        'run',
        'orders',
        'window s',
        'publish s',
        'publish→counted s',
        'end-to-end s',
        'orders/s',
        'worker peak RSS MB',
      ],
      runs.map((r) => [
        r.name,
        String(r.orders),
        String(r.windowSeconds),
        r.publishSeconds.toFixed(1),
        r.catchUpSeconds.toFixed(1),
        r.endToEndSeconds.toFixed(1),
        String(r.ordersPerSecond),
        String(r.workerPeakRssMb),
      ]),
    );
  return EXIT.ok;
}
