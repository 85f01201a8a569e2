/**
 * Services that cannot be reached, on real closed ports and a real wrong password: every command's one-line error
 * names the service and the variable that points at it and exits 5; `salesflow worker` checks each service before
 * it polls and exits the same way. And no configured password appears in any output: stdout and stderr of several
 * commands with bad configurations (with SALESFLOW_DEBUG=1 stack traces too) and a worker's log.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withClient } from '../../app/ops/temporal';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { reconcileWorkflowId } from '../../src/ids';
import { salesflow } from '../helpers/cli';
import { createTestEnv } from '../helpers/env';
import { until } from '../helpers/until';

const MYSQL_PASSWORD = 'Sup3r-S3cret-mysql-pw';
const RO_PASSWORD = 'Ro-S3cret-dashboard-pw';

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
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/salesflow.js'), 'backfill', '--reconcile'],
      {
        env: { ...process.env, ...t.env },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      await until(
        'the no-worker notice',
        async () => stderr,
        (s) => s.includes('no worker polls'),
        30_000,
      );
      expect(stderr.trim()).toBe(
        `waiting: no worker polls task queue ${t.config.taskQueue}; start one with \`npx salesflow worker\` ` +
          '(Ctrl-C stops waiting; the workflow keeps its place)',
      );
      expect(child.exitCode).toBeNull(); // still waiting: a worker started now would finish it
    } finally {
      child.kill('SIGKILL');
      await withClient(t.config, (client) =>
        client.workflow.getHandle(reconcileWorkflowId(t.config)).terminate('test done'),
      ).catch(() => undefined);
      await t.cleanup();
    }
  }, 60_000);
});
