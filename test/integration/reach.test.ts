/**
 * Services that cannot be reached, on real closed ports, a real wrong password and real databases an account may
 * not use or that do not exist: every command's one-line error names the service, the variable that points at it
 * and the cause, and exits 5; `salesflow worker` checks each service before it polls and exits the same way. And
 * no configured password appears in any output: stdout and stderr of several commands with bad configurations
 * (with SALESFLOW_DEBUG=1 stack traces too) and a worker's log. A wait with no worker says so within seconds, also
 * when Temporal still lists a worker that has just stopped.
 */
import * as path from 'node:path';
import type * as mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withClient } from '../../app/ops/temporal';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { backfillWorkflowId, reconcileWorkflowId } from '../../src/ids';
import { grantDbName, LOCAL_HOSTS, stackAdminConnection } from '../../src/io/mysql-grants';
import { salesflow, salesflowInBackground } from '../helpers/cli';
import { createTestEnv, headCsv } from '../helpers/env';
import { until } from '../helpers/until';
import { startWorkerProcess } from '../helpers/worker-process';

const MYSQL_PASSWORD = 'Sup3r-S3cret-mysql-pw';
const RO_PASSWORD = 'Ro-S3cret-dashboard-pw';

const noWorkerNotice = (taskQueue: string) =>
  `waiting: no worker polls task queue ${taskQueue}; start one with \`npx salesflow worker\` ` +
  '(Ctrl-C stops waiting; the workflow keeps its place)';

/** MYSQL_URL of the real server with another user's password, or another port. */
function mysqlUrl(opts: { password?: string; port?: number } = {}): string {
  const url = new URL(loadConfig().mysqlUrl);
  if (opts.password) url.password = opts.password;
  if (opts.port) url.port = String(opts.port);
  return url.toString();
}

describe('connection errors name the service and its variable (exit 5)', () => {
  it.each([
    [
      'totals',
      ['totals'],
      { MYSQL_URL: mysqlUrl({ port: 1 }) },
      /MySQL at 127\.0\.0\.1:1 \(MYSQL_URL\) refused/,
    ],
    [
      'migrate (MySQL)',
      ['migrate'],
      { MYSQL_URL: mysqlUrl({ port: 1 }) },
      /MySQL at 127\.0\.0\.1:1 \(MYSQL_URL\)/,
    ],
    [
      'migrate (Cassandra)',
      ['migrate'],
      { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' },
      /Cassandra at 127\.0\.0\.1:1 \(CASSANDRA_CONTACT_POINTS\) refused/,
    ],
    [
      'stream status',
      ['stream', 'status'],
      { TEMPORAL_ADDRESS: '127.0.0.1:1' },
      /Temporal at 127\.0\.0\.1:1 \(TEMPORAL_ADDRESS\)/,
    ],
    [
      'dashboard',
      ['dashboard', '--port', '0'],
      { MYSQL_URL: mysqlUrl({ port: 1 }) },
      /MySQL at 127\.0\.0\.1:1 \(MYSQL_URL\) refused/,
    ],
  ])('%s', async (_name, args, env, message) => {
    const r = await salesflow(args, env);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('salesflow worker checks every service before it polls', () => {
  it.each([
    [
      'Temporal',
      { TEMPORAL_ADDRESS: '127.0.0.1:1' },
      /Temporal at 127\.0\.0\.1:1 \(TEMPORAL_ADDRESS\) refused/,
    ],
    ['Kafka', { KAFKA_BROKERS: '127.0.0.1:1' }, /Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\) refused/],
    ['MySQL', { MYSQL_URL: mysqlUrl({ port: 1 }) }, /MySQL at 127\.0\.0\.1:1 \(MYSQL_URL\) refused/],
    [
      'MySQL with a wrong password',
      { MYSQL_URL: mysqlUrl({ password: MYSQL_PASSWORD }) },
      /MySQL at [\w.]+:\d+ \(MYSQL_URL\) rejected the login/,
    ],
    [
      'Cassandra',
      { CASSANDRA_CONTACT_POINTS: '127.0.0.1:1' },
      /Cassandra at 127\.0\.0\.1:1 \(CASSANDRA_CONTACT_POINTS\) refused/,
    ],
  ])('%s', async (_name, env, message) => {
    const started = Date.now();
    const r = await salesflow(['worker'], { ...env, TASK_QUEUE: 'reach-test-never-polled' });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/polling/);
    // Generous: it must give up on its own rather than hang (the real figure is about a second).
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('a MYSQL_URL naming a database its account may not use, or none, says so (exit 5)', () => {
  // A throw-away account, granted one database that is never created.
  const user = `reach_${process.pid}`;
  const password = 'Thr0w-away-reach-pw';
  const granted = `${user}_db`;
  let admin: mysql.Connection;

  beforeAll(async () => {
    const root = await stackAdminConnection(loadConfig());
    if (!root) throw new Error("needs the stack's MySQL (its administrator socket under SALESFLOW_STATE)");
    admin = root;
    for (const host of LOCAL_HOSTS) {
      await admin.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
      await admin.query(`GRANT SELECT ON \`${grantDbName(granted)}\`.* TO ?@?`, [user, host]);
    }
  });

  afterAll(async () => {
    for (const host of LOCAL_HOSTS) await admin?.query('DROP USER IF EXISTS ?@?', [user, host]);
    await admin?.end();
  });

  const urlFor = (database: string) => {
    const url = new URL(loadConfig().mysqlUrl);
    url.username = user;
    url.password = password;
    url.pathname = `/${database}`;
    return url.toString();
  };

  it.each([
    [
      'totals',
      'another account’s database',
      ['totals'],
      'sales_data',
      'does not let user %u use database sales_data',
    ],
    [
      'worker',
      'another account’s database',
      ['worker'],
      'sales_data',
      'does not let user %u use database sales_data',
    ],
    ['totals', 'a database that does not exist', ['totals'], '%g', 'has no database %g'],
    ['worker', 'a database that does not exist', ['worker'], '%g', 'has no database %g'],
  ])('%s, %s', async (_command, _case, args, database, said) => {
    const fill = (s: string) => s.replace('%u', user).replace(/%g/g, granted);
    const r = await salesflow(args, {
      MYSQL_URL: urlFor(fill(database)),
      TASK_QUEUE: 'reach-test-never-polled',
    });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`MySQL at ${new URL(loadConfig().mysqlUrl).host} (MYSQL_URL) ${fill(said)}`);
    expect(r.stderr).not.toMatch(/rejected the login/);
    expect(r.stderr).not.toContain(password);
  });
});

describe('no configured password in any output', () => {
  const bad = [
    // An invalid URL: the validation message quotes it.
    { MYSQL_URL: `mysql//salesflow:${MYSQL_PASSWORD}@127.0.0.1:3306/sales_data` },
    { MYSQL_URL: `mysql://salesflow:${MYSQL_PASSWORD}@127.0.0.1:3306/bad-name` },
    { MYSQL_URL: `postgres://salesflow:${MYSQL_PASSWORD}@127.0.0.1:3306/sales_data` },
    // Valid but wrong or unreachable.
    { MYSQL_URL: mysqlUrl({ password: MYSQL_PASSWORD }) },
    { MYSQL_URL: mysqlUrl({ password: MYSQL_PASSWORD, port: 1 }) },
  ];
  const commands = [
    ['totals'],
    ['totals', '--json'],
    ['migrate'],
    ['worker'],
    ['stream', 'status', '--json'],
    ['dashboard', '--port', '0'],
    ['stack', 'status', '--json'],
    // Not `backfill --reconcile`: it starts a workflow and waits for a worker, which never comes on this queue.
  ];

  it('in stdout and stderr of commands with bad configurations, stack traces included', async () => {
    let runs = 0;
    for (const env of bad) {
      for (const args of commands) {
        const r = await salesflow(args, {
          ...env,
          MYSQL_READONLY_PASSWORD: RO_PASSWORD,
          SALESFLOW_DEBUG: '1',
          SALESFLOW_LOG: 'DEBUG',
          TASK_QUEUE: 'reach-test-never-polled',
        });
        runs++;
        const output = r.stdout + r.stderr;
        expect(r.code, `${args.join(' ')} with ${env.MYSQL_URL}`).not.toBe(0);
        expect(output, `${args.join(' ')}`).not.toContain(MYSQL_PASSWORD);
        expect(output, `${args.join(' ')}`).not.toContain(RO_PASSWORD);
        expect(output, `${args.join(' ')}`).not.toContain(encodeURIComponent(MYSQL_PASSWORD));
      }
    }
    expect(runs).toBe(bad.length * commands.length);
  }, 600_000);
});

describe('a wait with no worker says so', () => {
  it('backfill --reconcile names the task queue nobody polls, and keeps waiting', async () => {
    const t = await createTestEnv('noworker');
    const { child, stderr } = salesflowInBackground(['backfill', '--reconcile'], t.env);
    try {
      await until(
        'the no-worker notice',
        async () => stderr(),
        (s) => s.includes('no worker polls'),
        30_000,
      );
      expect(stderr().trim()).toBe(noWorkerNotice(t.config.taskQueue));
      expect(child.exitCode).toBeNull(); // still waiting: a worker started now would finish it
    } finally {
      child.kill('SIGKILL');
      await withClient(t.config, (client) =>
        client.workflow.getHandle(reconcileWorkflowId(t.config)).terminate('test done'),
      ).catch(() => undefined);
      await t.cleanup();
    }
  }, 60_000);

  it('backfill --wait, and with --json, names the task queue within seconds after its last worker stopped', async () => {
    const t = await createTestEnv('stoppedworker');
    const ranges = [
      ['2018-01-01', '2018-01-31'],
      ['2018-02-01', '2018-02-28'],
    ];
    const waits: ReturnType<typeof salesflowInBackground>[] = [];
    try {
      // A worker polls the queue, then stops: Temporal goes on listing it as a poller for minutes.
      const worker = startWorkerProcess(t.env);
      await until(
        'the worker to poll',
        async () => worker.output(),
        (o) => o.includes('polling'),
        60_000,
      );
      const listed = () =>
        withClient(t.config, async (client) => {
          const { pollers } = await client.workflowService.describeTaskQueue({
            namespace: t.config.temporalNamespace,
            taskQueue: { name: t.config.taskQueue },
            taskQueueType: 1,
          });
          return pollers?.length ?? 0;
        });
      await until('Temporal to list the worker', listed, (n) => n > 0, 30_000);
      const exited = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await exited;
      expect(await listed(), 'the stopped worker is still listed').toBeGreaterThan(0);

      const started = Date.now();
      for (const [[from, to], json] of [
        [ranges[0], false],
        [ranges[1], true],
      ] as const)
        waits.push(
          salesflowInBackground(
            ['backfill', '--from', from, '--to', to, '--wait', ...(json ? ['--json'] : [])],
            t.env,
          ),
        );
      for (const w of waits) {
        await until(
          'the no-worker notice',
          async () => w.stderr(),
          (s) => s.includes('no worker polls'),
          15_000,
        );
        expect(w.stderr()).toContain(noWorkerNotice(t.config.taskQueue));
        expect(w.child.exitCode, 'still waiting').toBeNull();
      }
      expect(Date.now() - started, 'both notices within ~10 s').toBeLessThan(12_000);
      expect(waits[1].stdout(), '--json: nothing on stdout while waiting').toBe('');
    } finally {
      for (const w of waits) w.child.kill('SIGKILL');
      await withClient(t.config, async (client) => {
        for (const [from, to] of ranges)
          await client.workflow
            .getHandle(backfillWorkflowId(t.config, from, to))
            .terminate('test done')
            .catch(() => undefined);
      }).catch(() => undefined);
      await t.cleanup();
    }
  }, 120_000);

  it('a wait that lasts while a worker works says nothing of the kind', async () => {
    const t = await createTestEnv('liveworker');
    const worker = startWorkerProcess(t.env);
    try {
      await until(
        'the worker to poll',
        async () => worker.output(),
        (o) => o.includes('polling'),
        60_000,
      );
      // 200 orders at 20/s: a wait of about 10 s, past the moment it looks for a worker.
      const file = headCsv(path.join(REPO_ROOT, 'data/orders.csv'), path.join(t.tmpDir, 'orders.csv'), 200);
      const started = Date.now();
      const r = await salesflow(['replay', '--file', file, '--rate', '20', '--wait'], t.env);
      expect(r.code, r.stderr).toBe(0);
      expect(Date.now() - started).toBeGreaterThan(8000);
      expect(r.stderr).not.toContain('no worker polls');
    } finally {
      worker.child.kill('SIGKILL');
      await t.cleanup();
    }
  }, 120_000);
});
