/**
 * The bench's printed report: what the runs measured, as lines and aligned tables. The parts are built by pure
 * functions (tested in test/unit/bench-report.test.ts); printReport only writes them out.
 */
import * as os from 'node:os';
import { FLUSH_STAGES } from '../../src/core/profile';
import { printTable } from '../../src/terminal';
import { SERVICES } from './meter';
import type { BenchRun, PublishRun } from './results';

/** A report is lines and tables, in order. */
export type ReportPart = string | { header: string[]; rows: string[][] };

const s1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const s2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');

export function printReport(runs: BenchRun[], published: PublishRun[] = []): void {
  const machine = { cores: os.cpus().length, memoryBytes: os.totalmem(), loadAverage: os.loadavg() };
  for (const part of reportParts(runs, machine, published))
    if (typeof part === 'string') console.log(part);
    else printTable(part.header, part.rows);
}

export function reportParts(
  runs: BenchRun[],
  machine: { cores: number; memoryBytes: number; loadAverage: number[] },
  published: PublishRun[] = [],
): ReportPart[] {
  const share = temporalShare(runs);
  const header = `machine: ${machine.cores} cores, ${Math.round(machine.memoryBytes / 2 ** 30)} GB, load average ${machine.loadAverage.map(s2).join(' ')}`;
  if (!runs.length) return [header, ...publishParts(published)];
  return [
    header,
    ...publishParts(published),
    '\nend to end',
    endToEndTable(runs),
    ...(share ? [`\n${share}`] : []),
    '\nCPU µs per order (the consumer process includes publishing where it publishes: latency, throughput, plain)',
    cpuTable(runs),
    '\nwhere the flush time goes (seconds summed over the commits; wait = an open window idle)',
    stagesTable(runs),
    ...profileParts(runs),
    ...workersParts(runs),
    ...freshnessParts(runs),
  ];
}

function endToEndTable(runs: BenchRun[]): ReportPart {
  return {
    header: [
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
    rows: runs.map((r) => [
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
  };
}

/** Through Temporal vs the plain loop over the same generated orders, when both ran. */
export function temporalShare(runs: BenchRun[]): string | undefined {
  const temporal = runs.find((r) => r.driver === 'temporal' && !r.freshness && r.name.endsWith('generated'));
  const plain = runs.find((r) => r.driver === 'plain');
  if (!temporal || !plain) return undefined;
  const percent = ((temporal.ordersPerSecond - plain.ordersPerSecond) / plain.ordersPerSecond) * 100;
  return (
    `Temporal's share: ${temporal.ordersPerSecond} orders/s through Temporal vs ${plain.ordersPerSecond} in the plain loop ` +
    `(${percent.toFixed(1)} %)`
  );
}

/** Publishing alone: orders/s, every order in the topic, and what one order costs the publisher and Kafka. */
function publishParts(published: PublishRun[]): ReportPart[] {
  if (!published.length) return [];
  const perOrder = (cpu: number | undefined, r: PublishRun) => us(cpu, r.orders);
  return [
    '\npublish only (publishOrders at max rate, nothing consuming)',
    {
      header: [
        'run',
        'load start→end',
        'seconds',
        'orders/s',
        'in topic',
        'publisher µs/order',
        'kafka µs/order',
        'peak RSS MB',
      ],
      rows: published.map((r) => [
        r.name,
        `${s2(r.loadStart)}→${s2(r.loadEnd)}`,
        s1(r.seconds),
        String(r.ordersPerSecond),
        `${r.inTopic}${r.inTopic === r.orders ? '' : ` (NOT ${r.orders})`}`,
        perOrder(r.publisherCpuSeconds, r),
        perOrder(r.serviceCpuSeconds.kafka, r),
        String(r.publisherPeakRssMb),
      ]),
    },
  ];
}

/** CPU µs one order cost, from a run's CPU seconds (`-` when the process was not measured). */
export const us = (cpuSeconds: number | undefined, orders: number) =>
  cpuSeconds === undefined || !orders ? '-' : ((cpuSeconds / orders) * 1e6).toFixed(1);

/** Every process's CPU per order in every run: the budget the performance work is measured against. */
function cpuTable(runs: BenchRun[]): ReportPart {
  return {
    header: ['run', 'driver', 'consumer', ...SERVICES, 'all'],
    rows: runs.map((r) => {
      const services = SERVICES.map((s) => r.serviceCpuSeconds[s]);
      const all = services.reduce<number>((n, c) => n + (c ?? 0), r.consumerCpuSeconds);
      return [
        r.name,
        r.driver,
        us(r.consumerCpuSeconds, r.orders),
        ...services.map((c) => us(c, r.orders)),
        us(all, r.orders),
      ];
    }),
  };
}

/** With --cpu-prof: where each run's consumer spent its CPU, by origin and by function (self time). */
function profileParts(runs: BenchRun[]): ReportPart[] {
  return runs.flatMap((r) => {
    if (!r.cpuProfile) return [];
    const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
    const origins = r.cpuProfile.origins.slice(0, 10).map((o) => `${o.origin} ${pct(o.share)}`);
    return [
      `\nwhere the consumer's CPU went, ${r.name} (${r.driver}; --cpu-prof, main thread): ${origins.join(', ')}`,
      {
        header: ['function (self time)', 'from', 'share'],
        rows: r.cpuProfile.functions.map((f) => [f.name, f.origin, pct(f.share)]),
      },
    ];
  });
}

function stagesTable(runs: BenchRun[]): ReportPart {
  return {
    header: ['run', 'driver', 'windows', 'commits', ...FLUSH_STAGES, 'CPU s: kafka/mysql/cassandra/temporal'],
    rows: runs.map((r) => [
      r.name,
      r.driver,
      String(r.windows),
      String(r.commits),
      ...FLUSH_STAGES.map((s) => s1(r.stageMs[s] / 1000)),
      SERVICES.map((s) => s1(r.serviceCpuSeconds[s] ?? Number.NaN)).join('/'),
    ]),
  };
}

function workersParts(runs: BenchRun[]): ReportPart[] {
  const scaled = runs.filter((r) => r.workers);
  if (!scaled.length) return [];
  const table = {
    header: [
      'workers',
      'orders/s',
      'exactly once',
      'share per worker',
      'CPU s per worker',
      'peak RSS MB per worker',
    ],
    rows: scaled.map((r) => [
      String(r.workers!.length),
      String(r.ordersPerSecond),
      r.exactlyOnce ? 'yes' : 'NO',
      r.workers!.map((w) => `${(w.share * 100).toFixed(0)} %`).join(' / '),
      r.workers!.map((w) => s1(w.cpuSeconds)).join(' / '),
      r.workers!.map((w) => String(w.peakRssMb)).join(' / '),
    ]),
  };
  return [
    `\nworkers (one topic of ${scaled[0].partitions} partitions; share = records of the window units each completed)`,
    table,
    ...scaled.map((r) => `CPU µs per order with ${r.workers!.length} worker(s): ${cpuPerOrder(r)}`),
  ];
}

/** The per-order costs a capacity estimate starts from (README "Running on clusters"). */
export function cpuPerOrder(r: BenchRun): string {
  return [
    `workers ${((r.consumerCpuSeconds / r.orders) * 1e6).toFixed(0)}`,
    ...SERVICES.map((s) => `${s} ${(((r.serviceCpuSeconds[s] ?? Number.NaN) / r.orders) * 1e6).toFixed(0)}`),
  ].join(', ');
}

function freshnessParts(runs: BenchRun[]): ReportPart[] {
  const fresh = runs.filter((r) => r.freshness);
  if (!fresh.length) return [];
  const header = ['run', 'achieved orders/s', 'p50 s', 'p99 s', 'max s', 'window complete p50 s', 'max s'];
  return [
    '\nfreshness (Kafka append time → amount in sales_totals; window rows complete after its end)',
    {
      header: [...header, 'windows', 'poll ms'],
      rows: fresh.map((r) => {
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
    },
  ];
}
