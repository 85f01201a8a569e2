import { describe, expect, it } from 'vitest';
import { parse } from '../../src/args';
import { EXIT } from '../../src/errors';
import { parseOrderCounts } from '../../tools/bench/cassandra-writes';
import {
  BENCH_FLAGS,
  benchOptions,
  parseRuns,
  parseWorkerCounts,
  RUN_KINDS,
} from '../../tools/bench/options';

/** The usage error a call throws (exit 2), or a failed test when it throws none. */
function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect((e as { exitCode?: number }).exitCode).toBe(EXIT.usage);
    return (e as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('bench --runs', () => {
  it('is every run by default, in the order they run', () => {
    expect([...parseRuns(undefined)]).toEqual([...RUN_KINDS]);
    expect([...parseRuns('')]).toEqual(['latency', 'publish', 'throughput', 'plain', 'freshness', 'workers']);
  });

  it('picks the runs listed, spaces allowed', () => {
    expect([...parseRuns('plain, freshness')]).toEqual(['plain', 'freshness']);
  });

  it('refuses a run it does not know, naming the known ones', () => {
    expect(usageMessage(() => parseRuns('latency,default'))).toBe(
      "--runs: unknown run 'default' (expected latency, publish, throughput, plain, freshness, workers)",
    );
  });
});

describe('bench --workers', () => {
  it('is 1, 2 and 3 worker processes by default', () => {
    expect(parseWorkerCounts(undefined)).toEqual([1, 2, 3]);
  });

  it('takes counts from 1 to 16 in the order given', () => {
    expect(parseWorkerCounts('4, 1,16')).toEqual([4, 1, 16]);
  });

  it('refuses 0, 17 and what is not an integer', () => {
    expect(usageMessage(() => parseWorkerCounts('1,17'))).toBe(
      "--workers: '17' is not a worker count from 1 to 16",
    );
    expect(usageMessage(() => parseWorkerCounts('0'))).toMatch(/^--workers expects an integer >= 1/);
    expect(usageMessage(() => parseWorkerCounts('2.5'))).toMatch(/^--workers expects an integer >= 1/);
  });
});

describe('bench flags', () => {
  const options = (args: string[]) => benchOptions(parse(args, BENCH_FLAGS).values, 15);

  it('has the documented defaults, the window from the configuration', () => {
    expect(options([])).toEqual({
      orders: 100_000,
      rate: 2000,
      freshnessSeconds: 60,
      runs: new Set(RUN_KINDS),
      workerCounts: [1, 2, 3],
      partitions: 4,
      windowSeconds: 15,
      json: false,
      cpuProf: false,
    });
  });

  it('reads every flag', () => {
    const o = options([
      '--orders=5000',
      '--rate=100',
      '--freshness-seconds=10',
      '--runs=workers',
      '--workers=2',
      '--partitions=8',
      '--window-seconds=5',
      '--json',
      '--cpu-prof',
    ]);
    expect(o).toEqual({
      orders: 5000,
      rate: 100,
      freshnessSeconds: 10,
      runs: new Set(['workers']),
      workerCounts: [2],
      partitions: 8,
      windowSeconds: 5,
      json: true,
      cpuProf: true,
    });
  });

  it('refuses a count below 1 or not an integer, naming the flag', () => {
    expect(usageMessage(() => options(['--orders=0']))).toMatch(/^--orders expects an integer >= 1/);
    expect(usageMessage(() => options(['--freshness-seconds=1.5']))).toMatch(
      /^--freshness-seconds expects an integer >= 1/,
    );
  });
});

describe('bench --cassandra --orders', () => {
  it('is 20,000 and 200,000 orders by default; 0 drops a count', () => {
    expect(parseOrderCounts(undefined)).toEqual([20_000, 200_000]);
    expect(parseOrderCounts('5000, 0')).toEqual([5000]);
    expect(parseOrderCounts('0')).toEqual([]);
  });

  it('refuses an empty or negative count', () => {
    expect(usageMessage(() => parseOrderCounts(''))).toMatch(/^--orders expects an integer >= 0/);
    expect(usageMessage(() => parseOrderCounts('-5'))).toMatch(/^--orders expects an integer >= 0/);
  });
});
