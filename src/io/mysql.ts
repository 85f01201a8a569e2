/**
 * MySQL connection pool and the schema migration. Every table's DDL is here, in one list; queries live next to
 * the code that owns each table (src/io/store/, one module per table family).
 */

import type { RowDataPacket } from 'mysql2/promise';
import * as mysql from 'mysql2/promise';
import type { Config, MysqlTarget } from '../config';
import { DriverError } from './driver-errors';
import { connected, guarded } from './guard';
import { diagnoseMysql } from './mysql-errors';
import { DASHBOARD_TABLES, grantReadonly, stackAdminConnection } from './mysql-grants';
import { wrapperFor } from './reach';
import { mysqlSslOptions } from './security';

export type Pool = mysql.Pool;

export type { MysqlTarget };

/** Where MYSQL_URL points (parsed once, by loadConfig). */
export const mysqlTarget = (config: Config): MysqlTarget => config.mysql;

/** What a MySQL client of this account throws: mysql2's errors as the family's (src/io/reach.ts). */
const mysqlFailure = (config: Config, opts: { readonly?: boolean } = {}) =>
  wrapperFor({ service: 'mysql', config, readonly: opts.readonly }, diagnoseMysql);

/** One connection as the pipeline's account; `database` also selects (and so checks access to) its database. */
export function connectMysql(config: Config, opts: { database?: boolean } = {}): Promise<mysql.Connection> {
  const t = mysqlTarget(config);
  const connecting = mysql.createConnection({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: opts.database ? t.database : undefined,
    connectTimeout: 5000,
    ...mysqlSslOptions(config),
  });
  return connected(connecting, mysqlFailure(config));
}

export function createPool(
  config: Config,
  opts: { readonly?: boolean; connectionLimit?: number } = {},
): Pool {
  const t = mysqlTarget(config);
  const pool = mysql.createPool({
    host: t.host,
    port: t.port,
    user: opts.readonly ? config.mysqlReadonlyUser : t.user,
    password: opts.readonly ? config.mysqlReadonlyPassword : t.password,
    database: t.database,
    connectionLimit: opts.connectionLimit ?? 8,
    // DATETIME values are UTC everywhere; read them back as UTC too.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    charset: 'utf8mb4_unicode_ci',
    connectTimeout: 5000,
    ...mysqlSslOptions(config),
  });
  // A commit waiting on a row lock (another worker's commit of the same stream) gives up after 10 s, well before
  // the flush activity's 20 s heartbeat timeout, so the activity fails and retries instead of hanging. And a
  // transaction left open by a frozen worker (SIGSTOP, a GC pause, a dead network) is rolled back by MariaDB after
  // 15 s idle, releasing the offsets' row lock so another worker can take over. MySQL has no
  // idle_transaction_timeout: that statement fails there and is ignored (the lock wait limit still holds).
  pool.on('connection', (conn) => {
    const core = conn as unknown as { query(sql: string, cb: (e: unknown) => void): void };
    core.query(`SET SESSION innodb_lock_wait_timeout = ${LOCK_WAIT_SECONDS}`, () => undefined);
    core.query(`SET SESSION idle_transaction_timeout = ${IDLE_TRANSACTION_SECONDS}`, () => undefined);
  });
  return guarded(pool, mysqlFailure(config, opts), ['getConnection']);
}

/** Below the flush activity's heartbeat timeout (20 s, workflows/stream.ts). */
export const LOCK_WAIT_SECONDS = 10;
export const IDLE_TRANSACTION_SECONDS = 15;

/** The key of a stream's window, as sales_windows and stream_windows start. */
const WINDOW_KEY = `stream_id VARCHAR(128) NOT NULL,
    window_start DATETIME(3) NOT NULL,
    window_end DATETIME(3) NOT NULL,
    batch_id BIGINT NOT NULL`;

/** What a window's flush counted and where it read, as stream_windows keeps it for a window and
 * stream_window_units for each unit of it. */
const WINDOW_COUNTS = `records INT NOT NULL,
    orders INT NOT NULL,
    duplicates INT NOT NULL,
    invalid INT NOT NULL,
    amount DOUBLE NOT NULL,
    offsets_before TEXT NOT NULL,
    offsets_after TEXT NOT NULL,
    lag_records BIGINT NOT NULL,
    flush_ms INT NOT NULL,
    flushed_at DATETIME(3) NOT NULL`;

/** A (source, state) group's sums, as sales_totals and sales_daily keep them. */
const GROUP_SUMS = `source VARCHAR(32) NOT NULL,
    state VARCHAR(8) NOT NULL,
    orders BIGINT NOT NULL,
    amount DOUBLE NOT NULL,
    subtotal DOUBLE NOT NULL,
    tax DOUBLE NOT NULL,
    discount DOUBLE NOT NULL,
    quantity BIGINT NOT NULL`;

/** The pipeline's tables. Each statement is idempotent; new changes are appended, never edited in place. */
export const MYSQL_SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS customers (
    id BIGINT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    address VARCHAR(512) NOT NULL,
    birth_date VARCHAR(32) NOT NULL,
    city VARCHAR(255) NOT NULL,
    created_at VARCHAR(40) NOT NULL,
    email VARCHAR(255) NOT NULL,
    latitude DOUBLE NULL,
    longitude DOUBLE NULL,
    password VARCHAR(64) NOT NULL,
    source VARCHAR(32) NOT NULL,
    state VARCHAR(8) NOT NULL,
    zip VARCHAR(16) NOT NULL,
    loaded_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // The seed's table (source, state, amount_paid, processed_at, batch_id) plus the window bounds and counts.
  `CREATE TABLE IF NOT EXISTS sales_windows (
    ${WINDOW_KEY},
    source VARCHAR(32) NOT NULL,
    state VARCHAR(8) NOT NULL,
    amount_paid DOUBLE NOT NULL,
    orders INT NOT NULL,
    subtotal DOUBLE NOT NULL,
    tax DOUBLE NOT NULL,
    discount DOUBLE NOT NULL,
    quantity BIGINT NOT NULL,
    processed_at DATETIME(3) NOT NULL,
    PRIMARY KEY (stream_id, window_start, source, state),
    KEY sales_windows_by_start (window_start)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sales_totals (
    ${GROUP_SUMS},
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (source, state)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // The IDs of the orders counted: a second sighting of an ID is a duplicate, never sales.
  `CREATE TABLE IF NOT EXISTS counted_orders (
    order_id BIGINT PRIMARY KEY,
    stream_id VARCHAR(128) NOT NULL,
    window_start DATETIME(3) NOT NULL,
    source VARCHAR(32) NOT NULL,
    state VARCHAR(8) NOT NULL,
    total DOUBLE NOT NULL,
    kafka_partition INT NOT NULL,
    kafka_offset BIGINT NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // The commit point's offsets: compare-and-set on next_offset means two flushers can never both commit.
  `CREATE TABLE IF NOT EXISTS stream_offsets (
    stream_id VARCHAR(128) NOT NULL,
    topic VARCHAR(249) NOT NULL,
    kafka_partition INT NOT NULL,
    next_offset BIGINT NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    PRIMARY KEY (stream_id, topic, kafka_partition)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // One row per committed window: what a retried flush returns instead of redoing the work.
  `CREATE TABLE IF NOT EXISTS stream_windows (
    ${WINDOW_KEY},
    ${WINDOW_COUNTS},
    complete TINYINT(1) NOT NULL DEFAULT 1,
    PRIMARY KEY (stream_id, window_start),
    KEY stream_windows_by_flush (flushed_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // One row per unit of a window (a unit consumes the partitions p with p % units = unit): what a retried unit
  // returns instead of redoing the work, and which worker committed it. The window (stream_windows) is complete
  // once all its units are.
  `CREATE TABLE IF NOT EXISTS stream_window_units (
    stream_id VARCHAR(128) NOT NULL,
    window_start DATETIME(3) NOT NULL,
    unit INT NOT NULL,
    units INT NOT NULL,
    worker VARCHAR(255) NOT NULL,
    ${WINDOW_COUNTS},
    complete TINYINT(1) NOT NULL,
    PRIMARY KEY (stream_id, window_start, unit)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS dlq_counts (
    reason VARCHAR(64) PRIMARY KEY,
    count BIGINT NOT NULL,
    last_at DATETIME(3) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS sales_daily (
    day DATE NOT NULL,
    ${GROUP_SUMS},
    computed_at DATETIME(3) NOT NULL,
    PRIMARY KEY (day, source, state)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // How far the ledger has been purged (one row): reconcile takes an older raw order missing from it as counted.
  `CREATE TABLE IF NOT EXISTS counted_orders_purged (
    id TINYINT PRIMARY KEY,
    purged_before DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

/** Columns added after a table first shipped: [table, column, definition]. Added when missing (MySQL 8 has no
 * ADD COLUMN IF NOT EXISTS, so the migration asks information_schema first). */
export const ADDED_COLUMNS: Array<[string, string, string]> = [
  // A window flushed in several bounded parts is complete once its last part commits.
  ['stream_windows', 'complete', 'TINYINT(1) NOT NULL DEFAULT 1'],
  // The counted content's digest: a re-sent order that differs is a conflict, not a silent duplicate.
  ['counted_orders', 'digest', 'CHAR(16) NULL'],
];

/** Indexes added after a table first shipped: [table, index, columns]. Added when missing (MySQL 8 has no
 * CREATE INDEX IF NOT EXISTS); InnoDB builds them online, without blocking the stream's commits. */
const ADDED_INDEXES: Array<[string, string, string]> = [
  // The retention purge deletes the oldest windows' rows in chunks: a range scan, not a full one per chunk.
  ['counted_orders', 'counted_orders_by_window', 'window_start'],
];

/** MySQL's "Duplicate key name": another process's migration added the index first. */
const ER_DUP_KEYNAME = 1061;

/** Columns removed after a table first shipped: [table, column]. Dropped when present. */
const DROPPED_COLUMNS: Array<[string, string]> = [
  // Customer passwords are not kept: the pipeline never needs them, and a table that has none cannot leak them.
  ['customers', 'password'],
];

/** MySQL's "Can't DROP …; check that column/key exists": another process's migration dropped it first. */
const ER_CANT_DROP_FIELD_OR_KEY = 1091;

/**
 * The dashboard's read-only user and its table grants. Neither account may grant (README "Security"), so this
 * uses the stack's administrator connection when the stack runs this MySQL; on another server it tries the
 * pipeline's own connection (which works where its administrator gave it that right) and otherwise says what to do.
 */
async function grantReadonlyUser(
  config: Config,
  conn: mysql.Connection,
  log: (m: string) => void,
): Promise<void> {
  const admin = await stackAdminConnection(config);
  try {
    await grantReadonly(admin ?? conn, config);
  } catch (e) {
    log(
      `mysql: could not grant the read-only user ${config.mysqlReadonlyUser} its tables: ${(e as Error).message} ` +
        `(an administrator grants SELECT on ${DASHBOARD_TABLES.join(', ')}; see README "Security")`,
    );
  } finally {
    await admin?.end().catch(() => undefined);
  }
}

/** Creates the database, the tables and the dashboard's read-only user. Safe to run any number of times. */
export async function migrateMysql(
  config: Config,
  log: (m: string) => void = () => undefined,
): Promise<void> {
  const t = mysqlTarget(config);
  const admin = await connectMysql(config);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${t.database}\` CHARACTER SET utf8mb4`);
    await admin.query(`USE \`${t.database}\``);
    for (const ddl of MYSQL_SCHEMA) await admin.query(ddl);
    for (const [table, column, definition] of ADDED_COLUMNS) {
      const [found] = await admin.query<RowDataPacket[]>(
        'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?',
        [t.database, table, column],
      );
      if (found.length === 0)
        await admin.query(`ALTER TABLE \`${table}\` ADD COLUMN \`${column}\` ${definition}`);
    }
    for (const [table, index, columns] of ADDED_INDEXES) {
      const [found] = await admin.query<RowDataPacket[]>(
        'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?',
        [t.database, table, index],
      );
      if (found.length) continue;
      await admin.query(`ALTER TABLE \`${table}\` ADD INDEX \`${index}\` (${columns})`).catch((e) => {
        if (!(e instanceof DriverError && e.errno === ER_DUP_KEYNAME)) throw e;
      });
    }
    for (const [table, column] of DROPPED_COLUMNS) {
      const [found] = await admin.query<RowDataPacket[]>(
        'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?',
        [t.database, table, column],
      );
      if (found.length === 0) continue;
      await admin.query(`ALTER TABLE \`${table}\` DROP COLUMN \`${column}\``).catch((e) => {
        if (!(e instanceof DriverError && e.errno === ER_CANT_DROP_FIELD_OR_KEY)) throw e;
      });
    }
    await grantReadonlyUser(config, admin, log);
  } finally {
    await admin.end();
  }
}
