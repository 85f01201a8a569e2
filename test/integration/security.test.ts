/**
 * Least privilege and file permissions on a real, isolated MariaDB that `salesflow stack up mysql` starts on a
 * port the OS picks with its own state folder (never the shared stack: other tests use its accounts meanwhile;
 * nor another run's: a fixed port may be held by one, which `stack up` would use as is).
 * The folder starts out as an older version left it (world-readable) and the accounts with the old broad grants;
 * `stack up` must narrow both: the pipeline's account can work in its own databases and nothing else, the
 * dashboard's user can read the dashboard's tables and not customers, and the state is its owner's only.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/config';
import { secureStateDir } from '../../tools/stack/manager';
import { freePorts } from '../helpers/stack-ports';

const PASSWORD = 'Sec-St4ck-pipeline-pw';
const RO_PASSWORD = 'Sec-St4ck-ro-pw';

function salesflow(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/salesflow.js'), ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mode = (p: string) => fs.statSync(p).mode & 0o777;
/** Each folder readable by its owner only. */
const expectOwnerOnly = (dirs: string[]) => {
  for (const d of dirs) expect(mode(d).toString(8), d).toBe('700');
};

describe('state folder permissions', () => {
  it('secureStateDir makes an existing world-readable tree owner-only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-perm-'));
    try {
      fs.chmodSync(dir, 0o755);
      fs.mkdirSync(path.join(dir, 'cassandra', 'data'), { recursive: true, mode: 0o755 });
      fs.writeFileSync(path.join(dir, 'cassandra', 'data', 'x.db'), 'rows', { mode: 0o644 });
      fs.mkdirSync(path.join(dir, 'logs'), { mode: 0o777 });
      fs.writeFileSync(path.join(dir, 'logs', 'kafka.log'), 'log', { mode: 0o666 });
      fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh', { mode: 0o755 });
      secureStateDir(dir);
      expectOwnerOnly([
        dir,
        path.join(dir, 'cassandra'),
        path.join(dir, 'cassandra', 'data'),
        path.join(dir, 'logs'),
      ]);
      expect(mode(path.join(dir, 'cassandra', 'data', 'x.db')).toString(8)).toBe('600');
      expect(mode(path.join(dir, 'logs', 'kafka.log')).toString(8)).toBe('600');
      expect(mode(path.join(dir, 'run.sh')).toString(8)).toBe('700');
      expect(mode(path.join(dir, 'run')).toString(8)).toBe('700');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('MySQL accounts on an isolated stack', () => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-sec-'));
  let port = 0; // picked by the OS in beforeAll
  // The state folder is set from the start, so that `stack down` never reaches the shared stack's.
  const env = { SALESFLOW_STATE: stateDir, MYSQL_URL: '', MYSQL_READONLY_PASSWORD: RO_PASSWORD };
  const socketPath = path.join(stateDir, 'mysql', 'mysqld.sock');
  const connect = (user: string, password: string, database?: string) =>
    mysql.createConnection({ host: '127.0.0.1', port, user, password, database });

  beforeAll(async () => {
    [port] = await freePorts(1);
    env.MYSQL_URL = `mysql://salesflow:${PASSWORD}@127.0.0.1:${port}/sales_data`;
    fs.chmodSync(stateDir, 0o755);
    const up = salesflow(['stack', 'up', 'mysql'], env);
    if (up.code !== 0) throw new Error(`stack up mysql failed: ${up.stderr}`);
  }, 300_000);

  afterAll(() => {
    salesflow(['stack', 'down', 'mysql'], env);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('an install with the old broad grants and a world-readable state folder is narrowed by stack up', async () => {
    // Make it look like an older version left it.
    const root = await mysql.createConnection({ socketPath, user: 'root' });
    for (const host of ['127.0.0.1', 'localhost', '%']) {
      await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', ['salesflow', host, PASSWORD]);
      await root.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', ['salesflow', host]);
      await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', ['salesflow_ro', host, RO_PASSWORD]);
      await root.query('GRANT SELECT ON `sales_data`.* TO ?@?', ['salesflow_ro', host]);
    }
    await root.end();
    for (const d of [stateDir, path.join(stateDir, 'mysql'), path.join(stateDir, 'logs')])
      fs.chmodSync(d, 0o755);
    fs.chmodSync(path.join(stateDir, 'logs', 'mysql.log'), 0o644);

    const again = salesflow(['stack', 'up', 'mysql'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain(PASSWORD);

    // Files: owner only.
    expectOwnerOnly([
      stateDir,
      path.join(stateDir, 'mysql'),
      path.join(stateDir, 'mysql', 'data'),
      path.join(stateDir, 'logs'),
    ]);
    expect(mode(path.join(stateDir, 'logs', 'mysql.log')) & 0o077).toBe(0);

    // Accounts: no '%' host, nothing global, no GRANT OPTION.
    const admin = await mysql.createConnection({ socketPath, user: 'root' });
    const [users] = await admin.query<mysql.RowDataPacket[]>(
      "SELECT User AS u, Host AS h FROM mysql.user WHERE User IN ('salesflow', 'salesflow_ro') ORDER BY 1, 2",
    );
    expect(users.map((r) => `${r.u}@${r.h}`)).toEqual([
      'salesflow@127.0.0.1',
      'salesflow@localhost',
      'salesflow_ro@127.0.0.1',
      'salesflow_ro@localhost',
    ]);
    for (const user of ['salesflow', 'salesflow_ro']) {
      for (const host of ['127.0.0.1', 'localhost']) {
        const [grants] = await admin.query<mysql.RowDataPacket[]>('SHOW GRANTS FOR ?@?', [user, host]);
        const lines = grants.map((g) => String(Object.values(g)[0]));
        expect(lines.join('\n'), `${user}@${host}`).not.toMatch(/GRANT OPTION/);
        const global = lines.filter((l) => / ON \*\.\* /.test(l));
        expect(
          global.every((l) => /^GRANT USAGE ON \*\.\*/.test(l)),
          global.join('\n'),
        ).toBe(true);
        expect(lines.join('\n')).not.toMatch(/password`?\)|`password`/i);
      }
    }
    await admin.end();

    // The pipeline works in its database and in `sales_data_…` (isolated pipelines), nowhere else.
    const pipeline = await connect('salesflow', PASSWORD, 'sales_data');
    await pipeline.query('SELECT COUNT(*) FROM customers');
    await pipeline.query('CREATE DATABASE sales_data_sectest_1');
    await pipeline.query('CREATE TABLE sales_data_sectest_1.t (id INT PRIMARY KEY)');
    await pipeline.query('DROP DATABASE sales_data_sectest_1');
    await expect(pipeline.query('CREATE DATABASE other_db')).rejects.toThrow(/denied/i);
    await expect(pipeline.query('CREATE DATABASE salesXdata')).rejects.toThrow(/denied/i);
    await expect(pipeline.query('SELECT * FROM mysql.user')).rejects.toThrow(/denied/i);
    await expect(pipeline.query("CREATE USER 'x'@'localhost'")).rejects.toThrow(/denied/i);
    await expect(pipeline.query('GRANT SELECT ON sales_data.* TO salesflow_ro@localhost')).rejects.toThrow(
      /denied/i,
    );
    await pipeline.end();

    // The dashboard's user reads what the dashboard shows, not customers, and writes nothing.
    const ro = await connect('salesflow_ro', RO_PASSWORD, 'sales_data');
    for (const table of [
      'sales_totals',
      'sales_windows',
      'stream_windows',
      'counted_orders',
      'dlq_counts',
      'sales_daily',
    ])
      await ro.query(`SELECT COUNT(*) FROM ${table}`);
    await expect(ro.query('SELECT * FROM customers')).rejects.toThrow(/denied/i);
    await expect(ro.query('DELETE FROM sales_totals')).rejects.toThrow(/denied/i);
    await ro.end();

    // From anywhere but loopback there is no account at all (the server listens on 127.0.0.1 only anyway).
    const [[bind]] = (await (
      await connect('salesflow', PASSWORD)
    ).query('SELECT @@bind_address AS b')) as unknown as [Array<{ b: string }>];
    expect(bind.b).toBe('127.0.0.1');
  }, 300_000);

  it('isolated pipelines work with the narrowed grants', async () => {
    const { createIsolatedEnv } = await import('../../app/ops/isolated');
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      // Cassandra and Kafka are the shared stack's; only MySQL is this one.
      const iso = await createIsolatedEnv('sec');
      expect(iso.config.mysqlDatabase).toMatch(/^sales_data_sec_[0-9a-f]{8}$/);
      const ro = await connect('salesflow_ro', RO_PASSWORD, iso.config.mysqlDatabase);
      await ro.query('SELECT COUNT(*) FROM sales_totals');
      await expect(ro.query('SELECT * FROM customers')).rejects.toThrow(/denied/i);
      await ro.end();
      await iso.cleanup();
      const root = await mysql.createConnection({ socketPath, user: 'root' });
      const [left] = await root.query<mysql.RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM mysql.tables_priv WHERE Db = ?',
        [iso.config.mysqlDatabase],
      );
      await root.end();
      expect(Number(left[0].n), 'grants of the dropped database taken back').toBe(0);
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }, 120_000);
});
