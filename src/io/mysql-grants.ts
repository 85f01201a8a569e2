/**
 * Least privilege for the two MySQL accounts, set by an administrator connection (root over the stack's own unix
 * socket) because neither account may grant anything itself:
 *
 * - the pipeline's account (MYSQL_URL's user) gets SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX on
 *   its database and on the databases named `<database>_…` (the isolated pipelines of tests and the benchmark,
 *   app/ops/isolated.ts, which it creates and drops), nothing global, no GRANT OPTION, and only from 127.0.0.1
 *   and localhost where the stack creates it;
 * - the dashboard's read-only user gets SELECT on the tables the dashboard shows and nothing else (not customers).
 *
 * Earlier versions granted the pipeline ALL PRIVILEGES ON *.* WITH GRANT OPTION from '%', and the read-only user
 * SELECT on the whole database from '%': these are revoked here, so `stack up` on an existing install fixes it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import type { Config } from '../config';
import { DriverError } from './driver-errors';
import { connected } from './guard';
import { diagnoseMysql } from './mysql-errors';
import { wrapperFor } from './reach';

/** What the pipeline does in its own databases: DML, and the migration's/reset's DDL (TRUNCATE needs DROP). */
export const PIPELINE_PRIVILEGES = 'SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX';

/** The tables the dashboard reads (app/dashboard/queries.ts). */
export const DASHBOARD_TABLES = [
  'sales_totals',
  'sales_windows',
  'stream_windows',
  'counted_orders',
  'dlq_counts',
  'sales_daily',
];

/** Hosts the stack's accounts may log in from: the server listens on loopback only. */
export const LOCAL_HOSTS = ['127.0.0.1', 'localhost'];

/** A database name for GRANT at database level, where `_` and `%` are wildcards: escaped to match only itself. */
export const grantDbName = (name: string) => name.replace(/[\\_%]/g, (c) => `\\${c}`);

/** The pattern of the isolated pipelines' databases: `<database>_` followed by anything. */
export const isolatedDbPattern = (database: string) => `${grantDbName(database)}\\_%`;

/** ER_NONEXISTING_GRANT / ER_NONEXISTING_TABLE_GRANT: revoking what was never granted is fine. */
async function revoke(admin: mysql.Connection, sql: string, args: unknown[]): Promise<void> {
  try {
    await admin.query(sql, args);
  } catch (e) {
    if (!(e instanceof DriverError && (e.errno === 1141 || e.errno === 1147))) throw e;
  }
}

/**
 * Root over the stack's unix socket (socket authentication: only the OS user that runs the stack gets in); no
 * MYSQL_TLS, since the socket never leaves the machine. Its errors are the family's, as every client's here.
 */
export function connectRoot(
  config: Config,
  socketPath: string,
  timeoutMs?: number,
): Promise<mysql.Connection> {
  const connecting = mysql.createConnection({ socketPath, user: 'root', connectTimeout: timeoutMs });
  return connected(connecting, wrapperFor({ service: 'mysql', config }, diagnoseMysql));
}

/**
 * The administrator connection of a stack-managed MySQL: root over `<state>/mysql/mysqld.sock` (socket
 * authentication: only the OS user that runs the stack gets in), when that server is the one MYSQL_URL names.
 * Undefined otherwise (an external server: its administrator sets the grants, see README "Security").
 */
export async function stackAdminConnection(config: Config): Promise<mysql.Connection | undefined> {
  const socketPath = path.join(config.stateDir, 'mysql', 'mysqld.sock');
  if (!fs.existsSync(socketPath)) return undefined;
  let admin: mysql.Connection | undefined;
  try {
    admin = await connectRoot(config, socketPath, 2000);
    const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT @@port AS port');
    const t = config.mysql;
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(t.host);
    if (loopback && Number(rows[0].port) === t.port) return admin;
  } catch {
    /* a stale socket, or root cannot log in this way */
  }
  await admin?.end().catch(() => undefined);
  return undefined;
}

/** The pipeline's account: created or updated with MYSQL_URL's password, its grants set to the minimum. */
export async function grantPipeline(admin: mysql.Connection, config: Config): Promise<void> {
  const t = config.mysql;
  await admin.query('DROP USER IF EXISTS ?@?', [t.user, '%']);
  for (const host of LOCAL_HOSTS) {
    const user = [t.user, host];
    await admin.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [...user, t.password]);
    await admin.query('ALTER USER ?@? IDENTIFIED BY ?', [...user, t.password]);
    // Database-level grants first, then the old global ones go: the account never loses what it needs.
    await admin.query(`GRANT ${PIPELINE_PRIVILEGES} ON \`${grantDbName(t.database)}\`.* TO ?@?`, user);
    await admin.query(`GRANT ${PIPELINE_PRIVILEGES} ON \`${isolatedDbPattern(t.database)}\`.* TO ?@?`, user);
    await revoke(admin, 'REVOKE ALL PRIVILEGES ON *.* FROM ?@?', user);
    await revoke(admin, 'REVOKE GRANT OPTION ON *.* FROM ?@?', user);
    for (const db of [grantDbName(t.database), isolatedDbPattern(t.database)])
      await revoke(admin, `REVOKE GRANT OPTION ON \`${db}\`.* FROM ?@?`, user);
  }
}

/**
 * The dashboard's read-only user: SELECT on the dashboard's tables of `config`'s database (they must exist: run
 * after the migration), nothing else. Also takes back the database-wide SELECT older versions granted.
 */
export async function grantReadonly(admin: mysql.Connection, config: Config): Promise<void> {
  const db = config.mysqlDatabase;
  for (const host of LOCAL_HOSTS) {
    const user = [config.mysqlReadonlyUser, host];
    await admin.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [
      ...user,
      config.mysqlReadonlyPassword,
    ]);
    await admin.query('ALTER USER ?@? IDENTIFIED BY ?', [...user, config.mysqlReadonlyPassword]);
    for (const table of DASHBOARD_TABLES)
      await admin.query(`GRANT SELECT ON \`${db}\`.\`${table}\` TO ?@?`, user);
    await revoke(admin, `REVOKE ALL PRIVILEGES ON \`${grantDbName(db)}\`.* FROM ?@?`, user);
    await revoke(admin, `REVOKE ALL PRIVILEGES ON \`${db}\`.* FROM ?@?`, user);
    await revoke(admin, `REVOKE SELECT ON \`${db}\`.\`customers\` FROM ?@?`, user);
    await revoke(admin, 'REVOKE ALL PRIVILEGES ON *.* FROM ?@?', user);
  }
}

/** Takes the read-only user's grants on a dropped database back (table grants outlive DROP DATABASE). */
export async function revokeReadonly(admin: mysql.Connection, config: Config): Promise<void> {
  for (const host of LOCAL_HOSTS) {
    for (const table of DASHBOARD_TABLES)
      await revoke(admin, `REVOKE SELECT ON \`${config.mysqlDatabase}\`.\`${table}\` FROM ?@?`, [
        config.mysqlReadonlyUser,
        host,
      ]);
  }
}

/** The read-only user's '%' accounts of older versions (the server listens on loopback only). */
export async function dropWildcardReadonly(admin: mysql.Connection, config: Config): Promise<void> {
  await admin.query('DROP USER IF EXISTS ?@?', [config.mysqlReadonlyUser, '%']);
}
