/**
 * `salesflow bench` (= `npm run bench`): the pipeline's numbers, measured on the running local stack in isolated
 * pipelines (own topic, database, keyspace; dropped afterwards), each run with the machine's cores and load:
 *  1. latency: the default 18,760 orders replayed at max rate, seconds from the end of publishing to all counted;
 *  2. throughput: N generated orders at max rate, end-to-end orders/s, checked exactly once in both sinks; once
 *     through Temporal (the worker as its own process) and once through the plain loop (tools/bench/plain-loop.ts:
 *     the same activities and clients driven without Temporal, also its own process), for Temporal's share;
 *  3. freshness: a steady rate for a while, the seconds from each order's Kafka append time to its amount in
 *     sales_totals, and how long after its end each window's rows are complete;
 *  4. workers: the same N orders on a topic of several partitions, consumed by 1, 2, 3 worker processes (one
 *     unit per partition per window, on any worker): orders/s and each worker's share of the records;
 *  5. in every run: the consumer's peak RSS and CPU, the services' CPU, and where the flush's time went
 *     (SALESFLOW_PROFILE=1, src/core/profile.ts).
 * Numbers only; nothing here asserts a time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { type Client as CassandraClient, types } from 'cassandra-driver';
import type { RowDataPacket } from 'mysql2/promise';
import { readOrdersFile } from '../../activities/input-file';
import { loadCustomers } from '../../app/ops/data';
import { writeDataSet } from '../../app/ops/generate';
import { createIsolatedEnv, type IsolatedEnv } from '../../app/ops/isolated';
import { replayInput, startReplay } from '../../app/ops/replay';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { withClient } from '../../app/ops/temporal';
import { numberFlag, parse } from '../../src/args';
import { type Config, loadConfig, REPO_ROOT } from '../../src/config';
import { DEFAULT_GENERATE_OPTIONS } from '../../src/core/generate';
import { encodeOrderMessage } from '../../src/core/message';
import {
  addStageMs,
  emptyStageMs,
  FLUSH_STAGES,
  parseProfileLine,
  quantile,
  type StageMs,
} from '../../src/core/profile';
import { EXIT, usageError } from '../../src/errors';
import { streamWorkflowId } from '../../src/ids';
import { connectCassandra } from '../../src/io/cassandra';
import {
  connectProducer,
  createKafka,
  earliestOffsets,
  ensureTopics,
  highWatermarks,
  produceBatch,
  readRange,
} from '../../src/io/kafka';
import { createPool } from '../../src/io/mysql';
import { countedOrderCount, readCheckpoint, workByWorker } from '../../src/io/store/stream';
import { printTable } from '../../src/terminal';

export const BENCH_HELP = `Usage: salesflow bench [--orders N] [--rate N] [--freshness-seconds N] [--runs LIST]
                       [--window-seconds N] [--json]

Measures, on the running stack (salesflow stack up), in throw-away pipelines, each run with cores and load:
  latency      data/orders.csv at max rate: seconds from the end of publishing to every order counted
  throughput   N generated orders at max rate, end to end, exactly once in both sinks; through Temporal and
               through a plain loop of the same activities without Temporal (Temporal's share)
  freshness    a steady rate: p50/p99 seconds from an order's Kafka append time to its amount in sales_totals,
               and window rows complete after the window's end
  workers      N generated orders on a topic of --partitions partitions, consumed by each of --workers worker
               process counts: orders/s, each worker's share of the work, CPU per order of each process
  every run    the consumer's peak RSS and CPU, the services' CPU, where the flush's time went by stage

Options:
  --orders N             orders in the throughput runs (default 100000)
  --rate N               orders/s of the freshness run (default 2000)
  --freshness-seconds N  length of the freshness run (default 60)
  --runs LIST            which runs, comma-separated (default latency,throughput,plain,freshness,workers)
  --workers LIST         worker process counts of the workers run (default 1,2,3)
  --partitions N         partitions of the workers run's topic (default 4)
  --window-seconds N     window length (default WINDOW_SECONDS, 15)
  --json                 print the results as JSON
  --cassandra            instead: Cassandra's write rates from Node (salesflow bench --cassandra --help)`;

const RUN_KINDS = ['latency', 'throughput', 'plain', 'freshness', 'workers'] as const;
type RunKind = (typeof RUN_KINDS)[number];
/** How often the freshness run reads the checkpoint: the resolution of its "counted at" times. */
const POLL_MS = 20;
const SERVICES = ['kafka', 'mysql', 'cassandra', 'temporal'] as const;

export interface BenchRun {
  name: string;
  /** temporal: the worker drives the activities; plain: bench-loop does, without Temporal. */
  driver: 'temporal' | 'plain';
  orders: number;
  windowSeconds: number;
  cores: number;
  /** The 1-minute load average at the run's start and end (the machine is shared). */
  loadStart: number;
  loadEnd: number;
  publishSeconds: number;
  /** From the end of publishing to the last order counted. */
  catchUpSeconds: number;
  /** From the start of publishing to the last order counted. */
  endToEndSeconds: number;
  ordersPerSecond: number;
  /** Exactly once: counted_orders rows, orders in sales_totals, raw orders in Cassandra's orders_by_id. */
  countedOrders: number;
  totalsOrders: number;
  cassandraOrders: number;
  exactlyOnce: boolean;
  consumerPeakRssMb: number;
  consumerCpuSeconds: number;
  /** CPU seconds each local service used during the run (every client's work, not only ours). */
  serviceCpuSeconds: Partial<Record<(typeof SERVICES)[number], number>>;
  /** Windows the flush worked on, and its commits (one every COMMIT_INTERVAL_MS or less in an open window). */
  windows: number;
  commits: number;
  /** The flush's milliseconds by stage, summed over the run's commits. */
  stageMs: StageMs;
  freshness?: Freshness;
  /** The workers run: the topic's partitions and each worker process's part. */
  partitions?: number;
  workers?: WorkerShare[];
}

/** One worker process of a workers run. */
export interface WorkerShare {
  pid: number;
  /** Records read by the window units this worker completed (stream_window_units.worker). */
  records: number;
  /** Its fraction of all the units' records. */
  share: number;
  cpuSeconds: number;
  peakRssMb: number;
}

export interface Freshness {
  rate: number;
  seconds: number;
  /** Orders/s actually published (the publisher is paced by the clock, on a shared machine). */
  achievedRate: number;
  /** Seconds from Kafka append time to the order's offset committed (its amount in sales_totals). */
  p50: number;
  p99: number;
  max: number;
  /** Seconds from a window's end to its completing commit (stream_windows.flushed_at − window_end). */
  windowCompleteP50: number;
  windowCompleteMax: number;
  windowsMeasured: number;
  pollMs: number;
}

/** The process's VmHWM (peak resident set) from /proc, in MB. */
function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** User + system CPU seconds of a process (and its reaped children), from /proc; null when it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14..17 of stat (utime, stime, cutime, cstime), here shifted by the two before ')'.
    const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** The pids of the local services, from the stack's pidfiles (absent when a service is someone else's). */
function servicePids(config: Config): Map<(typeof SERVICES)[number], number> {
  const pids = new Map<(typeof SERVICES)[number], number>();
  for (const s of SERVICES) {
    try {
      pids.set(s, Number(fs.readFileSync(path.join(config.stateDir, 'run', `${s}.pid`), 'utf8').trim()));
    } catch {
      // not started by this stack
    }
  }
  return pids;
}

/** CPU seconds the services use from now until the returned function is called. */
function serviceCpuMeter(config: Config) {
  const before = new Map([...servicePids(config)].map(([s, pid]) => [s, { pid, cpu: cpuSeconds(pid) }]));
  return () => {
    const used: BenchRun['serviceCpuSeconds'] = {};
    for (const [s, { pid, cpu }] of before) {
      const now = cpuSeconds(pid);
      if (cpu !== null && now !== null) used[s] = Math.round((now - cpu) * 10) / 10;
    }
    return used;
  };
}

/**
 * A consumer process (the worker, or the plain loop) with SALESFLOW_PROFILE=1: its profile lines are summed,
 * other stdout lines are handed to `onLine`, stderr passes through.
 */
class Consumer {
  readonly child: ChildProcess;
  readonly stageMs = emptyStageMs();
  readonly windows = new Set<number>();
  commits = 0;
  private readonly lineWaiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  private readonly exited: Promise<unknown>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, ...env, SALESFLOW_PROFILE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((r) => this.child.once('exit', r));
    const onLine = (line: string) => {
      const profile = parseProfileLine(line);
      if (profile) {
        addStageMs(this.stageMs, profile.ms);
        this.windows.add(profile.windowStartMs);
        this.commits += 1;
        return;
      }
      for (const w of [...this.lineWaiters])
        if (w.test(line)) {
          this.lineWaiters.splice(this.lineWaiters.indexOf(w), 1);
          w.resolve(line);
        }
    };
    readline.createInterface({ input: this.child.stdout! }).on('line', onLine);
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => {
      onLine(line);
      if (!line.startsWith('worker: polling')) process.stderr.write(`${line}\n`);
    });
  }

  /** The first line from now on that passes `test` (stdout or stderr); rejects if the process exits first. */
  waitForLine(test: (line: string) => boolean): Promise<string> {
    return Promise.race([
      new Promise<string>((resolve) => this.lineWaiters.push({ test, resolve })),
      this.exited.then(() => {
        throw new Error(`the consumer process exited (${this.child.exitCode ?? this.child.signalCode})`);
      }),
    ]);
  }

  peakRssMb(): number {
    return peakRssMb(this.child.pid!);
  }

  cpuSeconds(): number {
    return Math.round((cpuSeconds(this.child.pid!) ?? 0) * 10) / 10;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

function startWorker(env: Record<string, string>): Consumer {
  return new Consumer([path.join(REPO_ROOT, 'bin/salesflow.js'), 'worker'], env);
}

/**
 * Rows in orders_by_id, counted in slices of the token ring, a few at a time: one COUNT(*) over a million rows
 * fails on this single node (a server-side read failure), a slice of a sixty-fourth does not.
 */
async function countRawOrders(client: CassandraClient, keyspace: string): Promise<number> {
  const slices = 64;
  const min = -(2n ** 63n);
  const step = (2n ** 64n - 1n) / BigInt(slices);
  const bounds = Array.from({ length: slices + 1 }, (_, i) =>
    i === slices ? 2n ** 63n - 1n : min + step * BigInt(i),
  );
  let total = 0;
  for (let i = 0; i < slices; i += 4) {
    const counts = await Promise.all(
      bounds.slice(i, i + 4).map(async (lo, k) => {
        const hi = bounds[i + k + 1];
        // The first slice includes the ring's minimum (Murmur3 never hands it out, but a slice must not skip it).
        const rs = await client.execute(
          `SELECT COUNT(*) AS n FROM ${keyspace}.orders_by_id WHERE token(order_id) ${i + k === 0 ? '>=' : '>'} ? AND token(order_id) <= ?`,
          [types.Long.fromString(String(lo)), types.Long.fromString(String(hi))],
          { prepare: true, readTimeout: 120_000 },
        );
        return Number(rs.first().get('n'));
      }),
    );
    total += counts.reduce((a, b) => a + b, 0);
  }
  return total;
}

/** Orders in both sinks and the running totals, for the exactly-once check. */
async function sinkCounts(config: Config) {
  const pool = createPool(config, { connectionLimit: 1 });
  const cassandra = await connectCassandra(config);
  try {
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT COALESCE(SUM(orders), 0) AS n FROM sales_totals',
    );
    return {
      countedOrders: await countedOrderCount(pool),
      totalsOrders: Number(rows[0].n),
      cassandraOrders: await countRawOrders(cassandra, config.cassandraKeyspace),
    };
  } finally {
    await pool.end();
    await cassandra.shutdown();
  }
}

const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;

interface RunContext {
  name: string;
  driver: BenchRun['driver'];
  orders: number;
  windowSeconds: number;
}

/** The common half of a run's result: the sinks checked, the consumer's and services' numbers. */
async function finishRun(
  ctx: RunContext,
  iso: IsolatedEnv,
  consumers: Consumer | Consumer[],
  times: { started: number; published: number; done: number; loadStart: number },
  serviceCpu: () => BenchRun['serviceCpuSeconds'],
): Promise<BenchRun> {
  const all = [consumers].flat();
  const consumerPeakRssMb = Math.max(...all.map((c) => c.peakRssMb()));
  const consumerCpuSeconds = Math.round(all.reduce((n, c) => n + c.cpuSeconds(), 0) * 10) / 10;
  const services = serviceCpu();
  const loadEnd = load1();
  // Stopped before their profiles are read: the last commit's line is then surely in.
  await Promise.all(all.map((c) => c.stop()));
  const stageMs = emptyStageMs();
  for (const c of all) addStageMs(stageMs, c.stageMs);
  // A failed count must not lose the run's numbers: it shows as -1 and "not exactly once".
  const counts = await sinkCounts(iso.config).catch((e) => {
    console.error(`bench ${ctx.name}: counting the sinks failed: ${(e as Error).message}`);
    return { countedOrders: -1, totalsOrders: -1, cassandraOrders: -1 };
  });
  const seconds = (times.done - times.started) / 1000;
  const run: BenchRun = {
    ...ctx,
    cores: os.cpus().length,
    loadStart: times.loadStart,
    loadEnd,
    publishSeconds: (times.published - times.started) / 1000,
    catchUpSeconds: (times.done - times.published) / 1000,
    endToEndSeconds: seconds,
    ordersPerSecond: Math.round(ctx.orders / seconds),
    ...counts,
    exactlyOnce:
      counts.countedOrders === ctx.orders &&
      counts.totalsOrders === ctx.orders &&
      counts.cassandraOrders === ctx.orders,
    consumerPeakRssMb,
    consumerCpuSeconds,
    serviceCpuSeconds: services,
    windows: new Set(all.flatMap((c) => [...c.windows])).size,
    commits: all.reduce((n, c) => n + c.commits, 0),
    stageMs,
  };
  console.error(
    `bench ${ctx.name} (${ctx.driver}): published in ${run.publishSeconds.toFixed(1)} s, counted ` +
      `${run.catchUpSeconds.toFixed(1)} s later; ${run.ordersPerSecond} orders/s end to end; ` +
      `exactly once: ${run.exactlyOnce ? 'yes' : `NO (${JSON.stringify(counts)})`}; peak RSS ${consumerPeakRssMb} MB`,
  );
  return run;
}

/** Max-rate replay through Temporal: the worker (its own process) publishes and consumes. */
async function measureTemporal(ctx: RunContext, ordersCsv: string, customersCsv: string): Promise<BenchRun> {
  const iso = await createIsolatedEnv('bench', { WINDOW_SECONDS: String(ctx.windowSeconds) });
  const config = iso.config;
  const worker = startWorker(iso.env);
  try {
    await worker.waitForLine((l) => l.startsWith('worker: polling'));
    await loadCustomers(config, customersCsv);
    console.error(`bench ${ctx.name}: replaying ${ctx.orders} orders at max rate through Temporal`);
    const loadStart = load1();
    const serviceCpu = serviceCpuMeter(config);
    const started = Date.now();
    const published = await withClient(config, async (client) => {
      await startStreamWorkflow(client, config);
      const input = await replayInput(config, { file: ordersCsv, max: true });
      const { handle } = await startReplay(client, config, input);
      await handle.result();
      return Date.now();
    });
    await waitCounted(config, { timeoutMs: 60 * 60_000 });
    const done = Date.now();
    await terminateStream(config);
    return await finishRun(ctx, iso, worker, { started, published, done, loadStart }, serviceCpu);
  } finally {
    await worker.stop();
    await iso.cleanup();
  }
}

async function terminateStream(config: Config): Promise<void> {
  await withClient(config, (client) =>
    client.workflow
      .getHandle(streamWorkflowId(config))
      .terminate('bench done')
      .catch(() => undefined),
  );
}

/** The same replay and flush, driven by the plain loop (its own process, no Temporal). */
async function measurePlain(ctx: RunContext, ordersCsv: string, customersCsv: string): Promise<BenchRun> {
  const iso = await createIsolatedEnv('bench', { WINDOW_SECONDS: String(ctx.windowSeconds) });
  const config = iso.config;
  await loadCustomers(config, customersCsv);
  console.error(`bench ${ctx.name}: replaying ${ctx.orders} orders at max rate through the plain loop`);
  const loadStart = load1();
  const serviceCpu = serviceCpuMeter(config);
  const loop = new Consumer([path.join(__dirname, 'plain-loop.js')], {
    ...iso.env,
    BENCH_LOOP_FILE: ordersCsv,
  });
  try {
    const at = (line: string) => Number(line.split(' ').pop());
    const started = at(await loop.waitForLine((l) => l.startsWith('bench-loop started')));
    const published = at(await loop.waitForLine((l) => l.startsWith('bench-loop published')));
    await waitCounted(config, { timeoutMs: 60 * 60_000 });
    const done = Date.now();
    return await finishRun(ctx, iso, loop, { started, published, done, loadStart }, serviceCpu);
  } finally {
    await loop.stop();
    await iso.cleanup();
  }
}

/** Reads a CSV's orders into Kafka messages, in memory: the freshness publisher must not wait on a file. */
async function messagesOf(file: string): Promise<Array<{ key: string; value: string }>> {
  const messages: Array<{ key: string; value: string }> = [];
  for await (const item of readOrdersFile(file))
    if (item.ok) messages.push({ key: String(item.order.id), value: encodeOrderMessage(item.order) });
  return messages;
}

/**
 * Freshness at a steady rate, through Temporal. The bench publishes from its own process (the shop's producer,
 * not the worker) in 20 ms slices, and reads the checkpoint every POLL_MS: an order's offset below the committed
 * next offset means its amount is in sales_totals (the same transaction). Afterwards each order's LogAppendTime
 * is read back from Kafka; freshness = when its offset was first seen committed − its append time. The seen
 * time is late by at most one poll plus the query (the same clock as the broker's: one machine).
 */
async function measureFreshness(
  ctx: RunContext,
  rate: number,
  seconds: number,
  ordersCsv: string,
  customersCsv: string,
): Promise<BenchRun> {
  const iso = await createIsolatedEnv('bench', { WINDOW_SECONDS: String(ctx.windowSeconds) });
  const config = iso.config;
  const messages = (await messagesOf(ordersCsv)).slice(0, ctx.orders);
  const worker = startWorker(iso.env);
  const kafka = createKafka(config);
  const producer = await connectProducer(kafka);
  const pool = createPool(config, { connectionLimit: 2 });
  try {
    await worker.waitForLine((l) => l.startsWith('worker: polling'));
    await ensureTopics(kafka, config);
    await loadCustomers(config, customersCsv);
    await withClient(config, (client) => startStreamWorkflow(client, config));
    console.error(`bench ${ctx.name}: ${rate} orders/s for ${seconds} s through Temporal`);
    const loadStart = load1();
    const serviceCpu = serviceCpuMeter(config);
    const streamId = streamWorkflowId(config);

    // The checkpoint's history: when each committed offset was first seen.
    const seen: Array<{ at: number; offsets: Record<string, string> }> = [];
    let polling = true;
    const poller = (async () => {
      let last = '';
      while (polling) {
        const offsets = await readCheckpoint(pool, streamId, config.ordersTopic);
        const at = Date.now();
        const key = JSON.stringify(offsets);
        if (key !== last) seen.push({ at, offsets });
        last = key;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    })();

    const started = Date.now();
    const sliceMs = 20;
    let sent = 0;
    while (sent < messages.length) {
      const due = Math.min(messages.length, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
      if (due > sent) {
        await produceBatch(producer, config.ordersTopic, messages.slice(sent, due));
        sent = due;
      }
      await new Promise((r) => setTimeout(r, sliceMs));
    }
    const published = Date.now();
    await waitCounted(config, { timeoutMs: 10 * 60_000 });
    const done = Date.now();
    polling = false;
    await poller;
    await terminateStream(config);

    // Each record's append time, and the first time its offset was seen committed.
    const latencies: number[] = [];
    const ends = await highWatermarks(kafka, config.ordersTopic);
    for (const [p, from] of await earliestOffsets(kafka, config.ordersTopic)) {
      let offset = from;
      let i = 0;
      while (BigInt(offset) < BigInt(ends.get(p) ?? '0')) {
        const r = await readRange(kafka, config.ordersTopic, p, offset, {
          untilTimestampMs: Number.MAX_SAFE_INTEGER,
          maxRecords: 20_000,
        });
        if (!r.records.length) break;
        for (const rec of r.records) {
          while (i < seen.length && BigInt(seen[i].offsets[String(p)] ?? '0') <= BigInt(rec.offset)) i++;
          if (i < seen.length) latencies.push((seen[i].at - rec.timestampMs) / 1000);
        }
        offset = r.nextOffset;
      }
    }
    const [windows] = await pool.query<RowDataPacket[]>(
      'SELECT window_end, flushed_at FROM stream_windows WHERE stream_id = ? AND complete = 1',
      [streamId],
    );
    // Windows wholly inside the steady traffic: the first and last are partly idle.
    const complete = windows
      .filter(
        (w) =>
          (w.window_end as Date).getTime() - ctx.windowSeconds * 1000 >= started &&
          (w.window_end as Date).getTime() <= published,
      )
      .map((w) => ((w.flushed_at as Date).getTime() - (w.window_end as Date).getTime()) / 1000);
    const run = await finishRun(ctx, iso, worker, { started, published, done, loadStart }, serviceCpu);
    run.freshness = {
      rate,
      seconds,
      achievedRate: Math.round(messages.length / ((published - started) / 1000)),
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: quantile(latencies, 1),
      windowCompleteP50: quantile(complete, 0.5),
      windowCompleteMax: quantile(complete, 1),
      windowsMeasured: complete.length,
      pollMs: POLL_MS,
    };
    console.error(
      `bench ${ctx.name}: freshness p50 ${run.freshness.p50.toFixed(2)} s, p99 ${run.freshness.p99.toFixed(2)} s; ` +
        `window complete ${run.freshness.windowCompleteP50.toFixed(2)} s after its end (max ${run.freshness.windowCompleteMax.toFixed(2)} s)`,
    );
    return run;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await worker.stop();
    await iso.cleanup();
  }
}

/**
 * Scale-out: N orders published by the bench (the shop's producer) to a topic of `partitions` partitions, consumed
 * by `workers` worker processes; every unit of every window goes to whichever worker polls first. Each worker's
 * share is read from the units it completed.
 */
async function measureWorkers(
  ctx: RunContext,
  workers: number,
  partitions: number,
  messages: ReadonlyArray<{ key: string; value: string }>,
  customersCsv: string,
): Promise<BenchRun> {
  const iso = await createIsolatedEnv('bench', {
    WINDOW_SECONDS: String(ctx.windowSeconds),
    KAFKA_PARTITIONS: String(partitions),
  });
  const config = iso.config;
  const consumers = Array.from({ length: workers }, () => startWorker(iso.env));
  const kafka = createKafka(config);
  const producer = await connectProducer(kafka);
  try {
    await Promise.all(consumers.map((c) => c.waitForLine((l) => l.startsWith('worker: polling'))));
    await ensureTopics(kafka, config);
    await loadCustomers(config, customersCsv);
    await withClient(config, (client) => startStreamWorkflow(client, config));
    console.error(`bench ${ctx.name}: ${ctx.orders} orders at max rate, ${partitions} partitions`);
    const loadStart = load1();
    const serviceCpu = serviceCpuMeter(config);
    const started = Date.now();
    for (let i = 0; i < messages.length; i += 5000)
      await produceBatch(producer, config.ordersTopic, messages.slice(i, i + 5000));
    const published = Date.now();
    await waitCounted(config, { timeoutMs: 60 * 60_000 });
    const done = Date.now();
    await terminateStream(config);
    const pool = createPool(config, { connectionLimit: 1 });
    const byWorker = await workByWorker(pool, streamWorkflowId(config)).finally(() => pool.end());
    const total = [...byWorker.values()].reduce((n, r) => n + r, 0);
    const shares = consumers.map((c) => {
      const records = byWorker.get(`${c.child.pid}@${os.hostname()}`) ?? 0;
      const share = total ? records / total : 0;
      return { pid: c.child.pid!, records, share, cpuSeconds: c.cpuSeconds(), peakRssMb: c.peakRssMb() };
    });
    const run = await finishRun(ctx, iso, consumers, { started, published, done, loadStart }, serviceCpu);
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

async function withDataSet<T>(
  config: Config,
  orders: number,
  seed: number,
  fn: (ordersCsv: string, customersCsv: string) => Promise<T>,
): Promise<T> {
  const dir = fs.mkdtempSync(path.join(config.stateDir, 'bench-'));
  try {
    console.error(`bench: generating ${orders} orders`);
    await writeDataSet({ ...DEFAULT_GENERATE_OPTIONS, orders, seed }, dir);
    return await fn(path.join(dir, 'orders.csv'), path.join(dir, 'customers.csv'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parseWorkerCounts(value: string | undefined): number[] {
  if (!value) return [1, 2, 3];
  return value.split(',').map((s) => {
    const n = numberFlag(s.trim(), 'workers', { integer: true, min: 1 });
    if (n === undefined || n > 16) throw usageError(`--workers: '${s}' is not a worker count from 1 to 16`);
    return n;
  });
}

function parseRuns(value: string | undefined): Set<RunKind> {
  if (!value) return new Set(RUN_KINDS);
  const runs = value.split(',').map((s) => s.trim());
  for (const r of runs)
    if (!(RUN_KINDS as readonly string[]).includes(r))
      throw usageError(`--runs: unknown run '${r}' (expected ${RUN_KINDS.join(', ')})`);
  return new Set(runs as RunKind[]);
}

export async function runBench(args: string[]): Promise<number> {
  if (args.includes('--cassandra'))
    return (await import('./cassandra-writes')).runCassandraBench(args.filter((a) => a !== '--cassandra'));
  const p = parse(args, {
    orders: { type: 'string' },
    rate: { type: 'string' },
    'freshness-seconds': { type: 'string' },
    runs: { type: 'string' },
    workers: { type: 'string' },
    partitions: { type: 'string' },
    'window-seconds': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (p.help) {
    console.log(BENCH_HELP);
    return EXIT.ok;
  }
  const config = loadConfig();
  const large = numberFlag(p.values.orders, 'orders', { integer: true, min: 1 }) ?? 100_000;
  const rate = numberFlag(p.values.rate, 'rate', { integer: true, min: 1 }) ?? 2000;
  const freshSeconds =
    numberFlag(p.values['freshness-seconds'], 'freshness-seconds', { integer: true, min: 1 }) ?? 60;
  const runsWanted = parseRuns(p.values.runs as string | undefined);
  const workerCounts = parseWorkerCounts(p.values.workers as string | undefined);
  const partitions = numberFlag(p.values.partitions, 'partitions', { integer: true, min: 1 }) ?? 4;
  const windowSeconds =
    numberFlag(p.values['window-seconds'], 'window-seconds', { integer: true, min: 1 }) ??
    config.windowSeconds;

  const runs: BenchRun[] = [];
  const dataDir = path.join(REPO_ROOT, 'data');
  if (runsWanted.has('latency'))
    runs.push(
      await measureTemporal(
        { name: 'default set', driver: 'temporal', orders: DEFAULT_GENERATE_OPTIONS.orders, windowSeconds },
        path.join(dataDir, 'orders.csv'),
        path.join(dataDir, 'customers.csv'),
      ),
    );
  if (runsWanted.has('throughput') || runsWanted.has('plain'))
    await withDataSet(config, large, 2, async (ordersCsv, customersCsv) => {
      const ctx = { name: `${large} generated`, orders: large, windowSeconds };
      if (runsWanted.has('throughput'))
        runs.push(await measureTemporal({ ...ctx, driver: 'temporal' }, ordersCsv, customersCsv));
      if (runsWanted.has('plain'))
        runs.push(await measurePlain({ ...ctx, driver: 'plain' }, ordersCsv, customersCsv));
    });
  if (runsWanted.has('freshness')) {
    const orders = rate * freshSeconds;
    await withDataSet(config, orders, 3, async (ordersCsv, customersCsv) => {
      runs.push(
        await measureFreshness(
          { name: `steady ${rate}/s × ${freshSeconds} s`, driver: 'temporal', orders, windowSeconds },
          rate,
          freshSeconds,
          ordersCsv,
          customersCsv,
        ),
      );
    });
  }

  if (runsWanted.has('workers'))
    await withDataSet(config, large, 4, async (ordersCsv, customersCsv) => {
      const messages = await messagesOf(ordersCsv);
      for (const workers of workerCounts) {
        const name = `${large} generated, ${workers} worker${workers > 1 ? 's' : ''}`;
        const ctx = { name, driver: 'temporal' as const, orders: large, windowSeconds };
        runs.push(await measureWorkers(ctx, workers, partitions, messages, customersCsv));
      }
    });

  if (p.values.json) console.log(JSON.stringify(runs, null, 2));
  else printReport(runs);
  return EXIT.ok;
}

const s1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const s2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');

function printReport(runs: BenchRun[]): void {
  console.log(
    `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, load average ${os.loadavg().map(s2).join(' ')}`,
  );
  console.log('\nend to end');
  printTable(
    [
      'run',
      'driver',
      'orders',
      'load start→end',
      'publish s',
      'publish→counted s',
      'end-to-end s',
      'orders/s',
      'exactly once (counted/totals/cassandra)',
      'peak RSS MB',
      'consumer CPU s',
    ],
    runs.map((r) => [
      r.name,
      r.driver,
      String(r.orders),
      `${s2(r.loadStart)}→${s2(r.loadEnd)}`,
      s1(r.publishSeconds),
      s1(r.catchUpSeconds),
      s1(r.endToEndSeconds),
      String(r.ordersPerSecond),
      `${r.exactlyOnce ? 'yes' : 'NO'} (${r.countedOrders}/${r.totalsOrders}/${r.cassandraOrders})`,
      String(r.consumerPeakRssMb),
      s1(r.consumerCpuSeconds),
    ]),
  );
  const temporal = runs.find((r) => r.driver === 'temporal' && !r.freshness && r.name.endsWith('generated'));
  const plain = runs.find((r) => r.driver === 'plain');
  if (temporal && plain)
    console.log(
      `\nTemporal's share: ${temporal.ordersPerSecond} orders/s through Temporal vs ${plain.ordersPerSecond} in the plain loop ` +
        `(${(((temporal.ordersPerSecond - plain.ordersPerSecond) / plain.ordersPerSecond) * 100).toFixed(1)} %)`,
    );

  console.log('\nwhere the flush time goes (seconds summed over the commits; wait = an open window idle)');
  printTable(
    ['run', 'driver', 'windows', 'commits', ...FLUSH_STAGES, 'CPU s: kafka/mysql/cassandra/temporal'],
    runs.map((r) => [
      r.name,
      r.driver,
      String(r.windows),
      String(r.commits),
      ...FLUSH_STAGES.map((s) => s1(r.stageMs[s] / 1000)),
      SERVICES.map((s) => s1(r.serviceCpuSeconds[s] ?? Number.NaN)).join('/'),
    ]),
  );

  const scaled = runs.filter((r) => r.workers);
  if (scaled.length) {
    console.log(
      `\nworkers (one topic of ${scaled[0].partitions} partitions; share = records of the window units each completed)`,
    );
    printTable(
      [
        'workers',
        'orders/s',
        'exactly once',
        'share per worker',
        'CPU s per worker',
        'peak RSS MB per worker',
      ],
      scaled.map((r) => [
        String(r.workers!.length),
        String(r.ordersPerSecond),
        r.exactlyOnce ? 'yes' : 'NO',
        r.workers!.map((w) => `${(w.share * 100).toFixed(0)} %`).join(' / '),
        r.workers!.map((w) => s1(w.cpuSeconds)).join(' / '),
        r.workers!.map((w) => String(w.peakRssMb)).join(' / '),
      ]),
    );
    // The per-order costs a capacity estimate starts from (README "Running on clusters").
    const costs = (r: BenchRun) =>
      [
        `workers ${((r.consumerCpuSeconds / r.orders) * 1e6).toFixed(0)}`,
        ...SERVICES.map(
          (s) => `${s} ${(((r.serviceCpuSeconds[s] ?? Number.NaN) / r.orders) * 1e6).toFixed(0)}`,
        ),
      ].join(', ');
    for (const r of scaled) console.log(`CPU µs per order with ${r.workers!.length} worker(s): ${costs(r)}`);
  }

  const fresh = runs.filter((r) => r.freshness);
  if (fresh.length) {
    console.log(
      '\nfreshness (Kafka append time → amount in sales_totals; window rows complete after its end)',
    );
    printTable(
      [
        'run',
        'achieved orders/s',
        'p50 s',
        'p99 s',
        'max s',
        'window complete p50 s',
        'max s',
        'windows',
        'poll ms',
      ],
      fresh.map((r) => {
        const f = r.freshness!;
        return [
          r.name,
          String(f.achievedRate),
          s2(f.p50),
          s2(f.p99),
          s2(f.max),
          s2(f.windowCompleteP50),
          s2(f.windowCompleteMax),
          String(f.windowsMeasured),
          String(f.pollMs),
        ];
      }),
    );
  }
}
