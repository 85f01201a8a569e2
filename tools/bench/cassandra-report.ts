/** `salesflow bench --cassandra`'s printed report: the machine, then one table per measurement. */
import { BATCH_BYTES } from '../../src/core/day-batches';
import { DEFAULT_WRITE_OPTIONS } from '../../src/io/cassandra';
import { printTable } from '../../src/terminal';
import type { CassandraBenchResult } from './cassandra-load';
import { loadAverages } from './meter';

/** `rowsPerRun`: the rows of each single-insert and batch run (--rows). */
export function printCassandraReport(result: CassandraBenchResult, rowsPerRun: number): void {
  console.log(
    `machine: ${result.cores} cores, load average at start ${result.loadAverage.map((x) => x.toFixed(2)).join(' ')}, now ${loadAverages()}`,
  );
  printRowRates(result, rowsPerRun);
  if (result.writePath.length) {
    console.log(
      `\nraw-order write path (both tables), slices of 5,000; after = ${JSON.stringify(DEFAULT_WRITE_OPTIONS)}`,
    );
    printTable(
      ['orders', 'traffic', 'before orders/s', 'after orders/s'],
      result.writePath.map((r) => [
        String(r.orders),
        r.traffic,
        String(r.beforePerSecond),
        String(r.afterPerSecond),
      ]),
    );
  }
  if (result.tune.length) {
    console.log('\nupsertRawOrders settings, 20,000 orders each');
    printTable(
      ['concurrency', 'batch rows', 'traffic', 'orders/s'],
      result.tune.map((r) => [
        String(r.concurrency),
        String(r.batchRows),
        r.traffic,
        String(r.ordersPerSecond),
      ]),
    );
  }
}

/** The micro-benchmarks: single inserts, then one-partition batches. */
function printRowRates(result: CassandraBenchResult, n: number): void {
  console.log(`\nsingle prepared inserts (orders_by_id), ${n} rows a run`);
  printTable(
    ['concurrency', 'rows/s'],
    result.singles.map((r) => [String(r.concurrency), String(r.rowsPerSecond)]),
  );
  console.log(
    `\nunlogged batches inside one (day, bucket) partition, ${n} rows a run (single-partition batches are exempt from the 5 KiB batch warn threshold; the write path caps a batch at ${BATCH_BYTES / 1024} KiB)`,
  );
  printTable(
    ['rows/batch', '~KiB/batch', 'concurrency', 'rows/s'],
    result.batches.map((r) => [
      String(r.batchRows),
      String(r.approxKiB),
      String(r.concurrency),
      String(r.rowsPerSecond),
    ]),
  );
}
