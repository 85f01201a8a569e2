import { describe, expect, it } from 'vitest';
import { emptyStageMs } from '../../src/core/profile';
import { cpuPerOrder, type ReportPart, reportParts, temporalShare } from '../../tools/bench/report';
import type { BenchRun } from '../../tools/bench/results';

function run(over: Partial<BenchRun>): BenchRun {
  return {
    name: '1000 generated',
    driver: 'temporal',
    orders: 1000,
    windowSeconds: 15,
    cores: 2,
    loadStart: 1,
    loadEnd: 1.5,
    publishSeconds: 1,
    catchUpSeconds: 1.5,
    endToEndSeconds: 2.5,
    ordersPerSecond: 400,
    countedOrders: 1000,
    totalsOrders: 1000,
    cassandraOrders: 1000,
    exactlyOnce: true,
    consumerPeakRssMb: 300,
    consumerCpuSeconds: 2,
    serviceCpuSeconds: { kafka: 0.1, mysql: 0.2, cassandra: 0.5 },
    windows: 1,
    commits: 3,
    stageMs: { ...emptyStageMs(), kafkaRead: 250, commit: 1250 },
    ...over,
  };
}

const machine = { cores: 2, memoryBytes: 24 * 2 ** 30, loadAverage: [1.234, 2, 3] };
const tables = (parts: ReportPart[]) => parts.filter((p) => typeof p !== 'string');
const lines = (parts: ReportPart[]) => parts.filter((p) => typeof p === 'string');

describe('the bench report', () => {
  it("compares the generated run through Temporal with the plain loop's", () => {
    const runs = [
      run({ name: 'default set', ordersPerSecond: 9999 }),
      run({ ordersPerSecond: 400 }),
      run({ driver: 'plain', ordersPerSecond: 500 }),
    ];
    expect(temporalShare(runs)).toBe(
      "Temporal's share: 400 orders/s through Temporal vs 500 in the plain loop (-20.0 %)",
    );
    expect(temporalShare(runs.slice(0, 2))).toBeUndefined();
  });

  it('prints the CPU microseconds per order of the workers and of each service (NaN for one not metered)', () => {
    expect(cpuPerOrder(run({}))).toBe('workers 2000, kafka 100, mysql 200, cassandra 500, temporal NaN');
  });

  it('has the machine, the end-to-end and stage tables, and nothing for runs not made', () => {
    const parts = reportParts([run({})], machine);
    expect(lines(parts)).toEqual([
      'machine: 2 cores, 24 GB, load average 1.23 2.00 3.00',
      '\nend to end',
      '\nCPU µs per order (the consumer process includes publishing where it publishes: latency, throughput, plain)',
      '\nwhere the flush time goes (seconds summed over the commits; wait = an open window idle)',
    ]);
    const [endToEnd, cpu, stages] = tables(parts);
    // 2 s of the consumer and 0.8 s of the services over 1,000 orders; Temporal was not metered.
    expect(cpu.header).toEqual([
      'run',
      'driver',
      'consumer',
      'kafka',
      'mysql',
      'cassandra',
      'temporal',
      'all',
    ]);
    expect(cpu.rows).toEqual([
      ['1000 generated', 'temporal', '2000.0', '100.0', '200.0', '500.0', '-', '2800.0'],
    ]);
    expect(endToEnd.rows).toEqual([
      [
        '1000 generated',
        'temporal',
        '1000',
        '1.00→1.50',
        '1.0',
        '1.5',
        '2.5',
        '400',
        'yes (1000/1000/1000)',
        '300',
        '2.0',
      ],
    ]);
    expect(stages.header.slice(4, 11)).toEqual([
      'kafkaRead',
      'plan',
      'lookup',
      'cassandra',
      'dlq',
      'commit',
      'wait',
    ]);
    expect(stages.rows).toEqual([
      [
        '1000 generated',
        'temporal',
        '1',
        '3',
        '0.3',
        '0.0',
        '0.0',
        '0.0',
        '0.0',
        '1.3',
        '0.0',
        '0.1/0.2/0.5/-',
      ],
    ]);
  });

  it('puts the publish-only run first, with every order in the topic and its CPU per order', () => {
    const published = {
      kind: 'publish' as const,
      name: '1000 generated',
      driver: 'temporal' as const,
      orders: 1000,
      windowSeconds: 15,
      loadStart: 0.5,
      loadEnd: 1,
      seconds: 0.02,
      ordersPerSecond: 50_000,
      inTopic: 999,
      publisherCpuSeconds: 0.015,
      publisherPeakRssMb: 120,
      serviceCpuSeconds: { kafka: 0.004 },
    };
    const parts = reportParts([run({})], machine, [published]);
    expect(lines(parts)[1]).toBe('\npublish only (publishOrders at max rate, nothing consuming)');
    expect(lines(reportParts([], machine, [published]))).toHaveLength(2); // no empty end-to-end tables
    expect(tables(parts)[0].rows).toEqual([
      ['1000 generated', '0.50→1.00', '0.0', '50000', '999 (NOT 1000)', '15.0', '4.0', '120'],
    ]);
  });

  it('shows a run that is not exactly once with its counts', () => {
    const [endToEnd] = tables(reportParts([run({ exactlyOnce: false, totalsOrders: 999 })], machine));
    expect(endToEnd.rows[0][8]).toBe('NO (1000/999/1000)');
  });

  it('adds the workers table with each worker, and the freshness table', () => {
    const workers = [
      { pid: 1, records: 600, share: 0.6, cpuSeconds: 1.25, peakRssMb: 250 },
      { pid: 2, records: 400, share: 0.4, cpuSeconds: 0.75, peakRssMb: 240 },
    ];
    const freshness = {
      rate: 100,
      seconds: 10,
      achievedRate: 99,
      p50: 0.5,
      p99: 1.25,
      max: 2,
      windowCompleteP50: Number.NaN,
      windowCompleteMax: Number.NaN,
      windowsMeasured: 0,
      pollMs: 20,
    };
    const parts = reportParts(
      [run({ name: 'steady', freshness }), run({ name: '2 workers', partitions: 4, workers })],
      machine,
    );
    expect(lines(parts).slice(4)).toEqual([
      '\nworkers (one topic of 4 partitions; share = records of the window units each completed)',
      'CPU µs per order with 2 worker(s): workers 2000, kafka 100, mysql 200, cassandra 500, temporal NaN',
      '\nfreshness (Kafka append time → amount in sales_totals; window rows complete after its end)',
    ]);
    const [, , , workersTable, freshnessTable] = tables(parts);
    expect(workersTable.rows).toEqual([['2', '400', 'yes', '60 % / 40 %', '1.3 / 0.8', '250 / 240']]);
    expect(freshnessTable.rows).toEqual([['steady', '99', '0.50', '1.25', '2.00', '-', '-', '0', '20']]);
  });
});
