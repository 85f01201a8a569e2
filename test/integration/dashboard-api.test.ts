/**
 * The dashboard's JSON API on the real MySQL: windows are committed through the pipeline's own commit point
 * (the stream store's commitWindow) and daily rows through replaceDailyRows, with hand-picked numbers, so every answer
 * can be checked exactly, both against the tables (readTotals) and against the numbers themselves. Also: 400/404/
 * 405, the stream's health in each state (not found, no worker, Temporal unreachable), server-sent events, the
 * read-only user, and the `salesflow dashboard` command (needs `npm run build`).
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../app/dashboard/server';
import { startStreamWorkflow } from '../../app/ops/stream';
import { connectClient } from '../../app/ops/temporal';
import { REPO_ROOT } from '../../src/config';
import type { Offsets } from '../../src/contract';
import { SOURCES } from '../../src/core/types';
import { streamWorkflowId } from '../../src/ids';
import { createPool, type Pool } from '../../src/io/mysql';
import { replaceDailyRows } from '../../src/io/store/daily';
import { commitWindow } from '../../src/io/store/stream';
import { readTotals } from '../../src/io/store/totals';
import { salesflow } from '../helpers/cli';
import { createTestEnv, type TestEnv } from '../helpers/env';

type Group = [source: string, state: string, orders: number, amount: number];

const row = ([source, state, orders, amount]: Group) => ({
  source,
  state,
  orders,
  amount,
  subtotal: amount * 0.9,
  tax: amount * 0.1,
  discount: 0,
  quantity: orders,
});

describe('dashboard API', () => {
  let t: TestEnv;
  let admin: Pool;
  let dashboard: Dashboard;
  const windowMs = 2000;
  const t0 = Math.floor(Date.now() / windowMs) * windowMs - 60_000;
  let nextOrderId = 1;
  let offsets: Offsets = {};

  /** Commits one window through the pipeline's own commit point. */
  async function commit(startMs: number, groups: Group[], dlq: Record<string, number> = {}) {
    const counted = groups.flatMap(([source, state, orders, amount]) =>
      Array.from({ length: orders }, () => ({
        orderId: nextOrderId++,
        source,
        state,
        total: amount / orders,
        partition: 0,
        offset: String(nextOrderId),
        digest: `test${nextOrderId}`,
      })),
    );
    const invalid = Object.values(dlq).reduce((n, c) => n + c, 0);
    const after = { 0: String(Number(offsets[0] ?? 0) + counted.length + invalid) };
    await commitWindow(admin, {
      streamId: streamWorkflowId(t.config),
      topic: t.config.ordersTopic,
      windowStartMs: startMs,
      windowEndMs: startMs + windowMs,
      batchId: startMs / windowMs,
      unit: 0,
      units: 1,
      worker: 'dashboard-test',
      records: counted.length + invalid,
      duplicates: 0,
      invalid,
      groups: groups.map(row),
      counted,
      dlqReasons: new Map(Object.entries(dlq)),
      checkpoint: offsets,
      offsetsBefore: { 0: offsets[0] ?? '0' },
      offsetsAfter: after,
      lagRecords: 0,
      flushMs: 12,
      complete: true,
    });
    offsets = after;
  }

  const api = async (pathAndQuery: string, init?: RequestInit, d: Dashboard = dashboard) => {
    const res = await fetch(new URL(pathAndQuery, d.url), init);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : null,
    };
  };

  beforeAll(async () => {
    t = await createTestEnv('dashapi');
    admin = createPool(t.config, { connectionLimit: 2 });
    await commit(t0, [
      ['Facebook', 'CA', 3, 300.5],
      ['Facebook', 'TX', 1, 50.25],
      ['Google', 'NY', 2, 120],
    ]);
    await commit(
      t0 + windowMs,
      [
        ['Facebook', 'NY', 2, 400],
        ['Facebook', 'TX', 1, 10],
        ['Organic', 'CA', 1, 5.25],
      ],
      { invalid_json: 2, unknown_customer: 1 },
    );
    const day = (d: string, groups: Group[]) => replaceDailyRows(admin, d, groups.map(row));
    await day('2018-01-30', [
      ['Facebook', 'CA', 2, 100],
      ['Google', 'TX', 1, 50],
    ]);
    await day('2018-02-01', [['Facebook', 'NY', 1, 25]]);
    await day('2018-02-05', [['Organic', 'CA', 3, 30]]);
    dashboard = await startDashboard(t.config, { port: 0 });
  });

  afterAll(async () => {
    await dashboard?.close();
    await admin?.end();
    await t?.cleanup();
  });

  it('serves sales per state for each source, amount descending, equal to sales_totals', async () => {
    const totals = await readTotals(admin);
    for (const source of SOURCES) {
      const { status, body } = await api(`/api/sales/by-state?source=${source}`);
      expect(status).toBe(200);
      expect(body).toEqual(
        totals
          .filter((r) => r.source === source)
          .sort((a, b) => b.amount - a.amount)
          .map((r) => ({ state: r.state, orders: r.orders, amount: r.amount })),
      );
    }
    // And against the numbers committed: NY 400 > CA 300.50 > TX 60.25 (two windows added up).
    expect((await api('/api/sales/by-state?source=Facebook')).body).toEqual([
      { state: 'NY', orders: 2, amount: 400 },
      { state: 'CA', orders: 3, amount: 300.5 },
      { state: 'TX', orders: 2, amount: 60.25 },
    ]);
    expect((await api('/api/sales/by-state?source=Twitter')).body).toEqual([]);
  });

  it('serves every (source, state) total with grand totals per source', async () => {
    const { status, body } = await api('/api/sales/totals');
    expect(status).toBe(200);
    expect(body.orders).toBe(10);
    expect(body.amount).toBeCloseTo(886, 9);
    expect(body.bySource).toEqual([
      { source: 'Organic', orders: 1, amount: 5.25 },
      { source: 'Affiliate', orders: 0, amount: 0 },
      { source: 'Facebook', orders: 7, amount: 760.75 },
      { source: 'Google', orders: 2, amount: 120 },
      { source: 'Twitter', orders: 0, amount: 0 },
    ]);
    const amounts = body.rows.map((r: { amount: number }) => r.amount);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    const fromTable = (await readTotals(admin)).map(({ source, state, orders, amount }) => ({
      source,
      state,
      orders,
      amount,
    }));
    expect(
      [...body.rows].sort((a, b) => `${a.source}${a.state}`.localeCompare(`${b.source}${b.state}`)),
    ).toEqual(fromTable);
  });

  it('serves the recent windows oldest first, with the amount per source', async () => {
    const { body } = await api('/api/windows');
    expect(body).toHaveLength(2);
    expect(body[0]).toMatchObject({
      windowStart: new Date(t0).toISOString(),
      windowEnd: new Date(t0 + windowMs).toISOString(),
      orders: 6,
      records: 6,
      invalid: 0,
      amount: 470.75,
      bySource: { Facebook: 350.75, Google: 120 },
    });
    expect(body[1]).toMatchObject({ orders: 4, records: 7, invalid: 3, amount: 415.25 });
    expect(body[1].bySource).toEqual({ Facebook: 410, Organic: 5.25 });
    const latest = (await api('/api/windows?limit=1')).body;
    expect(latest).toHaveLength(1);
    expect(latest[0].windowStart).toBe(new Date(t0 + windowMs).toISOString());
  });

  it('serves daily sales by day, week and month, within the range asked', async () => {
    const open = (await api('/api/daily')).body;
    expect(open.from).toBe('2018-01-30');
    expect(open.to).toBe('2018-02-05');
    expect(open.by).toBe('day');
    expect(open.rows).toEqual([
      { day: '2018-01-30', source: 'Facebook', orders: 2, amount: 100 },
      { day: '2018-01-30', source: 'Google', orders: 1, amount: 50 },
      { day: '2018-02-01', source: 'Facebook', orders: 1, amount: 25 },
      { day: '2018-02-05', source: 'Organic', orders: 3, amount: 30 },
    ]);
    // Weeks start on Monday; the first bucket starts at `from`, never before it.
    expect((await api('/api/daily?from=2018-01-31&to=2018-12-31&by=week')).body).toEqual({
      from: '2018-01-31',
      to: '2018-12-31',
      by: 'week',
      rows: [
        { day: '2018-01-31', source: 'Facebook', orders: 1, amount: 25 },
        { day: '2018-02-05', source: 'Organic', orders: 3, amount: 30 },
      ],
    });
    expect((await api('/api/daily?by=month')).body.rows).toEqual([
      { day: '2018-01-30', source: 'Facebook', orders: 2, amount: 100 },
      { day: '2018-01-30', source: 'Google', orders: 1, amount: 50 },
      { day: '2018-02-01', source: 'Facebook', orders: 1, amount: 25 },
      { day: '2018-02-01', source: 'Organic', orders: 3, amount: 30 },
    ]);
    expect((await api('/api/daily?from=2019-01-01&to=2019-12-31')).body.rows).toEqual([]);
  });

  it('reports health: counted orders, last window, throughput, dead letters, stream status', async () => {
    const { status, body } = await api('/api/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      countedOrders: 10,
      windows: 2,
      windowSeconds: 2,
      dlq: { invalid_json: 2, unknown_customer: 1 },
      stream: {
        workflowId: streamWorkflowId(t.config),
        status: 'not found',
        lagRecords: null,
        phase: null,
      },
    });
    expect(body.lastWindow.windowStart).toBe(new Date(t0 + windowMs).toISOString());
    // 10 orders over the 4 s the two windows span.
    expect(body.ordersPerSecond).toBeCloseTo(2.5, 9);
    expect(Object.keys(body.dlq)).toEqual(['invalid_json', 'unknown_customer']);
  });

  it('tells a stream no worker answers from an unreachable Temporal', async () => {
    const { client, close } = await connectClient(t.config);
    try {
      const { handle } = await startStreamWorkflow(client, t.config); // no worker polls this env's task queue
      try {
        const { body } = await api('/api/health');
        expect(body.stream).toMatchObject({ status: 'no worker', lagRecords: null });
        expect(body.stream.detail).toContain(t.config.taskQueue);
      } finally {
        await handle.terminate('test done');
      }
      expect((await api('/api/health')).body.stream.status).toBe('terminated');
    } finally {
      await close();
    }
    const away = await startDashboard({ ...t.config, temporalAddress: '127.0.0.1:1' }, { port: 0 });
    try {
      const { status, body } = await api('/api/health', undefined, away);
      expect(status).toBe(200);
      expect(body.countedOrders).toBe(10);
      expect(body.stream).toMatchObject({ status: 'unreachable', lagRecords: null });
      expect(body.stream.detail).toContain('127.0.0.1:1');
    } finally {
      await away.close();
    }
  });

  it('rejects bad parameters with 400 and a clear message', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/sales/by-state', /missing parameter 'source'/],
      [
        '/api/sales/by-state?source=MySpace',
        /source must be one of Organic, Affiliate, Facebook, Google, Twitter/,
      ],
      ['/api/sales/by-state?source=facebook', /source must be one of/],
      ['/api/sales/by-state?source=Google&x=1', /unknown parameter 'x'/],
      ['/api/sales/by-state?source=Google&source=Twitter', /more than once/],
      ['/api/windows?limit=0', /limit must be an integer from 1 to 1000/],
      ['/api/windows?limit=1001', /limit must be an integer from 1 to 1000/],
      ['/api/windows?limit=abc', /limit must be/],
      ['/api/windows?limit=2.5', /limit must be/],
      ['/api/daily?from=2018-13-01', /from must be a date YYYY-MM-DD/],
      ['/api/daily?to=2018-02-30', /to must be a date/],
      ['/api/daily?from=2019-01-01&to=2018-01-01', /must not be after/],
      ['/api/daily?from=1990-01-01&to=2020-01-01', /at most 3700 days/],
      ['/api/daily?by=year', /by must be one of day, week, month/],
      ['/api/sales/totals?source=Google', /takes none/],
      ['/api/health?verbose=1', /unknown parameter 'verbose'/],
    ];
    for (const [url, message] of cases) {
      const { status, body } = await api(url);
      expect(status, url).toBe(400);
      expect(body.error, url).toMatch(message);
    }
  });

  it('answers unknown paths with 404 and other methods with 405; serves the page', async () => {
    for (const url of ['/api/nope', '/api/sales', '/nope.js', '/%2e%2e/package.json', '/..%2fpackage.json']) {
      const { status, body } = await api(url);
      expect(status, url).toBe(404);
      expect(body.error, url).toBeTruthy();
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const { status, headers, body } = await api('/api/sales/totals', { method });
      expect(status, method).toBe(405);
      expect(headers.get('allow')).toBe('GET, HEAD');
      expect(body.error).toMatch(/not allowed/);
    }
    const head = await api('/api/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    const page = await api('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<script src="main.js">');
    const script = await api('/main.js');
    expect(script.status).toBe(200);
    expect(script.text).not.toMatch(/https?:\/\/(cdn|unpkg|fastly\.jsdelivr)/);
  });

  it('pushes an update event when a window commits and when daily history changes', async () => {
    const controller = new AbortController();
    const res = await fetch(new URL('/api/events', dashboard.url), { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (name: string, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = new RegExp(`event: ${name}\\ndata: (.*)\\n\\n`).exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]);
        }
        if (Date.now() > deadline) throw new Error(`no '${name}' event in ${timeoutMs} ms: ${buffer}`);
        const chunk = await Promise.race([
          reader.read(),
          new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now())),
        ]);
        if (chunk?.value) buffer += decoder.decode(chunk.value, { stream: true });
      }
    };
    try {
      expect(await nextEvent('hello')).toEqual({ windowSeconds: 2 });
      const first = await nextEvent('update'); // the state when the page connected
      await commit(t0 + 2 * windowMs, [['Twitter', 'WA', 1, 99.99]]);
      const second = await nextEvent('update');
      expect(second.live).not.toBe(first.live);
      expect(second.daily).toBe(first.daily);
      await replaceDailyRows(admin, '2018-02-06', [row(['Twitter', 'WA', 1, 99.99])]);
      const third = await nextEvent('update');
      expect(third.daily).not.toBe(second.daily);
      expect(third.live).toBe(second.live);
      expect((await api('/api/sales/by-state?source=Twitter')).body).toEqual([
        { state: 'WA', orders: 1, amount: 99.99 },
      ]);
    } finally {
      controller.abort();
    }
  });

  it('reads MySQL as a user that cannot write', async () => {
    const ro = createPool(t.config, { readonly: true, connectionLimit: 1 });
    try {
      await expect(
        ro.query(
          "INSERT INTO sales_totals (source, state, orders, amount, subtotal, tax, discount, quantity, updated_at) VALUES ('Google', 'ZZ', 1, 1, 1, 0, 0, 1, NOW())",
        ),
      ).rejects.toThrow(/INSERT command denied/i);
      await expect(ro.query('DELETE FROM counted_orders')).rejects.toThrow(/command denied/i);
      const [rows] = await ro.query('SELECT COUNT(*) AS n FROM sales_totals');
      expect((rows as Array<{ n: number }>)[0].n).toBeGreaterThan(0);
    } finally {
      await ro.end();
    }
    // A wrong read-only password: the API says MySQL failed (503), it does not crash.
    const denied = await startDashboard({ ...t.config, mysqlReadonlyPassword: 'wrong' }, { port: 0 });
    try {
      const { status, body } = await api('/api/sales/totals', undefined, denied);
      expect(status).toBe(503);
      expect(body.error).toMatch(/^MySQL at \S+ \(MYSQL_URL\) rejected the login of the read-only user /);
    } finally {
      await denied.close();
    }
  });

  it('runs as `salesflow dashboard` until SIGTERM, with usage errors and exit codes', async () => {
    const help = await salesflow(['dashboard', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: salesflow dashboard [--port 3000] [--host 127.0.0.1]');
    for (const args of [['--port', 'abc'], ['--port', '70000'], ['--bogus']]) {
      const r = await salesflow(['dashboard', ...args], t.env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^salesflow dashboard: /);
    }
    const down = await salesflow(['dashboard', '--port', '0'], {
      ...t.env,
      MYSQL_URL: 'mysql://salesflow:salesflow@127.0.0.1:1/sales_data',
    });
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/MySQL at 127\.0\.0\.1:1 \(MYSQL_URL\) refused the connection/);

    // A port already taken: exit 1 with a hint, and no process left hanging.
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const busy = await salesflow(['dashboard', '--port', String(taken)], t.env);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain(`127.0.0.1:${taken} is already in use`);
    } finally {
      blocker.close();
    }

    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/salesflow.js'), 'dashboard', '--port', '0'],
      {
        env: { ...process.env, ...t.env },
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(out.split('\n')[0]);
      });
      child.on('exit', () => reject(new Error(`exited before printing its URL: ${stderr}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const totals = await (await fetch(new URL('/api/sales/totals', url))).json();
    expect(totals.orders).toBe(11);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('dashboard: stopped');
  });
});
