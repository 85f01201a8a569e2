/**
 * Bad input files through the CLI, as a user runs it, on the real stack: a replay reads the whole file whatever a
 * row holds (an unclosed quote, a 2 MB cell, hundreds of large bad rows), dead-letters every bad row with its
 * line and says so in its exit code; `customers load` is all or nothing; `reset` changes nothing unless every
 * store answers.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunningTotals } from '../../app/ops/data';
import { waitCounted } from '../../app/ops/stream';
import { formatCsvRow } from '../../src/core/csv';
import { streamWorkflowId } from '../../src/ids';
import { connectCassandra, countOrders } from '../../src/io/cassandra';
import {
  createKafka,
  earliestOffsets,
  highWatermarks,
  type RangeRecord,
  readRange,
} from '../../src/io/kafka';
import { createPool, migrateMysql } from '../../src/io/mysql';
import { salesflow as runSalesflow } from '../helpers/cli';
import type { TestEnv } from '../helpers/env';
import { CUSTOMERS_CSV, ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { referenceTotals, relErr } from '../helpers/reference';

const ORDERS = 3000;

describe('bad input files', () => {
  let pipeline: Pipeline;
  let t: TestEnv;
  const salesflow = (args: string[], env: Record<string, string> = {}) =>
    runSalesflow(args, { ...t.env, ...env });
  const orderLines = fs.readFileSync(ORDERS_CSV, 'utf8').trimEnd().split('\n');
  const header = orderLines[0];
  /** A data row of the seed's orders.csv (1-based). */
  const row = (n: number) => orderLines[n];
  const write = (name: string, lines: string[]) => {
    const file = path.join(t.tmpDir, name);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  /** Every record of the DLQ topic (one partition). */
  const deadLetters = async (): Promise<RangeRecord[]> =>
    (
      await readRange(createKafka(t.config), t.config.dlqTopic, 0, '0', {
        untilTimestampMs: Number.MAX_SAFE_INTEGER,
      })
    ).records;
  const lettersOf = (letters: RangeRecord[], file: string) =>
    new Map(letters.filter((l) => l.headers.file === file).map((l) => [Number(l.headers.line), l]));
  const customersTable = async () => {
    const pool = createPool(t.config, { connectionLimit: 1 });
    try {
      const [rows] = await pool.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n, MAX(id) AS maxId, MAX(loaded_at) AS loadedAt FROM customers',
      );
      return {
        n: Number(rows[0].n),
        maxId: Number(rows[0].maxId),
        loadedAt: (rows[0].loadedAt as Date).getTime(),
      };
    } finally {
      await pool.end();
    }
  };

  beforeAll(async () => {
    pipeline = await startPipeline('badf');
    t = pipeline.t;
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  it('replay: an unclosed quote on row 10 costs that row only; every other row is sent and counted', async () => {
    const rows = Array.from({ length: ORDERS }, (_, i) => row(i + 1));
    const broken = rows[9].replace(',', ',"'); // the quote opens Created At and never closes
    const file = write('unclosed.csv', [header, ...rows.slice(0, 9), broken, ...rows.slice(10)]);
    // The reference: the same file without row 10, read by an independent parser.
    const clean = write('clean.csv', [header, ...rows.slice(0, 9), ...rows.slice(10)]);

    const r = await salesflow(['replay', '--file', file, '--max', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ rows: ORDERS, published: ORDERS - 1, badRows: 1 });
    expect(out.firstBadRows).toEqual([{ line: 11, reason: expect.stringMatching(/^Quote Not Closed/) }]);
    expect(r.stderr).toMatch(/salesflow replay: 1 of 3000 rows refused, sent to the dead-letter topic/);

    await waitCounted(t.config, { timeoutMs: 120_000 });
    const expected = referenceTotals(clean, CUSTOMERS_CSV);
    const totals = await readRunningTotals(t.config);
    expect(totals.length).toBe(expected.size);
    for (const total of totals) {
      const ref = expected.get(`${total.source}|${total.state}`);
      expect(ref, `${total.source}/${total.state}`).toBeDefined();
      expect(total.orders).toBe(ref!.orders);
      expect(relErr(total.amount, ref!.amount)).toBeLessThanOrEqual(1e-9);
    }
    const cassandra = await connectCassandra(t.config);
    expect(await countOrders(cassandra, t.config.cassandraKeyspace)).toBe(ORDERS - 1);
    await cassandra.shutdown();

    const letter = lettersOf(await deadLetters(), file).get(11);
    expect(letter?.value?.toString('utf8')).toBe(broken);
    expect(letter?.headers).toMatchObject({ reason: 'bad_csv_row', line: '11' });

    // The summary line, and --accept-bad: the same refusals, exit 0 (every order is now a duplicate).
    const again = await salesflow(['replay', '--file', file, '--max', '--wait', '--accept-bad']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/replay: 3000 rows read, 2999 orders sent, 1 bad rows dead-lettered/);
    expect(again.stderr).toMatch(/replay: line 11: Quote Not Closed/);
  });

  it('replay: a 2 MB cell is dead-lettered cut to fit, flagged with its size and digest', async () => {
    const big = `2019-02-11T21:40:27.892+05:30${'x'.repeat(2_000_000)}`;
    const bigRow = row(60).split(',');
    bigRow[1] = big;
    const bigLine = bigRow.join(',');
    // Rows 11-110 of the seed (row 10 stays the one refused above), the 50th of them with the big cell.
    const file = write('big-cell.csv', [
      header,
      ...Array.from({ length: 100 }, (_, i) => (i === 49 ? bigLine : row(i + 11))),
    ]);
    const r = await salesflow(['replay', '--file', file, '--max', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 100, published: 99, badRows: 1 });

    const letter = lettersOf(await deadLetters(), file).get(51)!;
    expect(letter).toBeDefined();
    const original = Buffer.from(bigLine, 'utf8');
    expect(letter.headers).toMatchObject({
      reason: 'bad_csv_row',
      truncated: 'true',
      original_bytes: String(original.length),
      sha256: createHash('sha256').update(original).digest('hex'),
    });
    expect(letter.headers.detail).toMatch(/^invalid_timestamp/);
    // What is kept is the start of the row, as much as the topic takes.
    expect(letter.value!.length).toBeGreaterThan(500_000);
    expect(original.subarray(0, letter.value!.length).equals(letter.value!)).toBe(true);
  });

  it('replay: 750 bad 1.4 KB rows among 1,500 all reach the DLQ', async () => {
    const lines = [header];
    const bad = new Map<number, string>();
    for (let i = 1; i <= 1500; i++) {
      if (i % 2 === 0) {
        const cells = row(i).split(',');
        cells[2] = `bad${'d'.repeat(1400)}`; // Discount: text
        bad.set(i + 1, cells.join(','));
        lines.push(cells.join(','));
      } else lines.push(row(i));
    }
    const file = write('many-bad.csv', lines);
    const r = await salesflow(['replay', '--file', file, '--max', '--wait', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ rows: 1500, published: 750, badRows: 750 });
    expect(out.firstBadRows.map((b: { line: number }) => b.line)).toEqual([...bad.keys()].slice(0, 20));

    const letters = lettersOf(await deadLetters(), file);
    expect(letters.size).toBe(750);
    for (const [line, text] of bad) {
      const letter = letters.get(line);
      expect(letter?.value?.toString('utf8'), `line ${line}`).toBe(text);
      expect(letter?.headers.truncated).toBeUndefined();
    }
    // None of this changed what was counted: the good rows were all counted before.
    await waitCounted(t.config, { timeoutMs: 120_000 });
    const orders = (await readRunningTotals(t.config)).reduce((n, x) => n + x.orders, 0);
    expect(orders).toBe(ORDERS - 1);
  });

  describe('customers load', () => {
    // The seed's rows as cells, read by an independent parser and written back with the project's writer.
    const customerRows = parse(fs.readFileSync(CUSTOMERS_CSV), { bom: true }) as string[][];
    /** data/customers.csv (2,500 rows) and 500 copies of its first rows under new IDs: 3,000 rows of cells. */
    const customers3000 = () => {
      const rows = customerRows.map((cells) => [...cells]);
      for (let id = 2501; id <= 3000; id++) rows.push([String(id), ...customerRows[id - 2500].slice(1)]);
      expect(rows.length).toBe(3001);
      return rows;
    };
    const NAME = 1;
    const SOURCE = 10;
    const STATE = 11;
    const writeCustomers = (name: string, rows: string[][]) =>
      write(
        name,
        rows.map((r) => formatCsvRow(r)),
      );

    it('a 300-character Name on row 2,600 of 3,000 loads nothing and names line 2601', async () => {
      const before = await customersTable();
      expect(before).toMatchObject({ n: 2500, maxId: 2500 });
      const rows = customers3000();
      rows[2600][NAME] = 'N'.repeat(300); // row 2,600 of the data, on line 2601
      const file = writeCustomers('long-name.csv', rows);
      const r = await salesflow(['customers', 'load', '--file', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('customers: 0 of 3000 rows loaded');
      expect(r.stderr).toContain(
        'customers: bad row at line 2601: Name is 300 characters, more than the 255',
      );
      expect(r.stderr).toMatch(/salesflow customers: 1 bad rows in .*: nothing loaded/);
      expect(await customersTable()).toEqual(before);
    });

    it('a bad State or Source loads nothing; each bad row is listed by line', async () => {
      const before = await customersTable();
      const rows = customers3000();
      rows[10][STATE] = 'NOT-A-STATE-XYZ'; // 15 characters
      rows[2000][SOURCE] = "=cmd|' /C calc'!A0";
      rows[2999][0] = '2147483648'; // beyond Cassandra's int
      const file = writeCustomers('bad-dims.csv', rows);
      const r = await salesflow(['customers', 'load', '--file', file, '--json']);
      expect(r.code, r.stderr).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ rows: 3000, loaded: 0 });
      expect(out.bad).toEqual([
        'line 11: State must be a US state code (AL…), got "NOT-A-STATE-XYZ"',
        `line 2001: Source must be one of Organic, Affiliate, Facebook, Google, Twitter, got "=cmd|' /C calc'!A0"`,
        'line 3000: ID must be an integer from 1 to 2147483647, got 2147483648',
      ]);
      expect(await customersTable()).toEqual(before);
    });

    it('an unclosed quote is one bad row, not the rest of the file', async () => {
      const lines = customers3000().map((r) => formatCsvRow(r));
      lines[10] = lines[10].replace(',', ',"'); // opens Name; the next quoted Address closes it, wrongly
      const before = await customersTable();
      const r = await salesflow([
        'customers',
        'load',
        '--file',
        write('unclosed-customers.csv', lines),
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ rows: 3000, loaded: 0 });
      expect(out.bad).toEqual([expect.stringMatching(/^line 11: (Quote Not Closed|Invalid Closing Quote)/)]);
      expect(await customersTable()).toEqual(before);
    });

    it('--skip-bad loads the good rows in one go, still reports the bad ones, and stores no passwords', async () => {
      const rows = customers3000();
      rows[2600][NAME] = 'N'.repeat(300);
      const file = writeCustomers('skip-bad.csv', rows);
      const r = await salesflow(['customers', 'load', '--file', file, '--skip-bad']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('customers: 2999 of 3000 rows loaded');
      expect(r.stderr).toContain('customers: bad row at line 2601: Name is 300 characters');
      const after = await customersTable();
      expect(after).toMatchObject({ n: 2999, maxId: 3000 });

      const pool = createPool(t.config, { connectionLimit: 1 });
      try {
        // One transaction: every row carries the same load time.
        const [stamps] = await pool.query<RowDataPacket[]>(
          'SELECT COUNT(DISTINCT loaded_at) AS n FROM customers WHERE id > 2500',
        );
        expect(Number(stamps[0].n)).toBe(1);
        const [missing] = await pool.query<RowDataPacket[]>('SELECT id FROM customers WHERE id = 2600');
        expect(missing).toEqual([]);
        const columns = async () => {
          const [cols] = await pool.query<RowDataPacket[]>(
            'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
            ['customers'],
          );
          return cols.map((c) => c.c as string);
        };
        expect(await columns()).not.toContain('password');
        // A table from before keeps its passwords only until the next migration.
        await pool.query("ALTER TABLE customers ADD COLUMN password VARCHAR(64) NOT NULL DEFAULT 'secret'");
        expect(await columns()).toContain('password');
        await migrateMysql(t.config);
        expect(await columns()).not.toContain('password');
      } finally {
        await pool.end();
      }
    });
  });

  describe('reset with a store down', () => {
    it.each([
      ['Cassandra', { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' }],
      ['Kafka', { KAFKA_BROKERS: '127.0.0.1:1' }],
    ])('refuses when %s does not answer, having changed nothing', async (service, env) => {
      const kafka = createKafka(t.config);
      const snapshot = async () => {
        const cassandra = await connectCassandra(t.config);
        try {
          return {
            totals: await readRunningTotals(t.config),
            raw: await countOrders(cassandra, t.config.cassandraKeyspace),
            topic: Object.fromEntries(await highWatermarks(kafka, t.config.ordersTopic)),
            earliest: Object.fromEntries(await earliestOffsets(kafka, t.config.ordersTopic)),
            dlq: Object.fromEntries(await highWatermarks(kafka, t.config.dlqTopic)),
            stream: (await pipeline.client.workflow.getHandle(streamWorkflowId(t.config)).describe()).status
              .name,
          };
        } finally {
          await cassandra.shutdown();
        }
      };
      const before = await snapshot();
      expect(before.raw).toBe(ORDERS - 1);
      expect(before.stream).toBe('RUNNING');

      const r = await salesflow(['reset', '--yes'], env);
      expect(r.code, r.stderr).toBe(5);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^salesflow reset: ${service} at 127\\.0\\.0\\.1:1 did not answer .*: nothing was reset$`),
      );
      expect(await snapshot()).toEqual(before);
    });
  });
});
