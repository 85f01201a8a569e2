/**
 * The dashboard on the real stack: a short replay through the real pipeline, then its JSON API against the
 * MySQL tables (read-only user), and the page in headless Chromium: five charts, the Facebook chart's order, a
 * live update after another window, screenshots under test-output/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomers, queryTotals } from '../../src/cli/data';
import { waitCounted } from '../../src/cli/demo';
import { replayInput, startReplay } from '../../src/cli/replay';
import { startStream } from '../../src/cli/stream';
import { connectClient } from '../../src/cli/temporal';
import { REPO_ROOT } from '../../src/config';
import { SOURCES } from '../../src/core/types';
import { type Dashboard, startDashboard } from '../../src/dashboard/server';
import { streamWorkflowId } from '../../src/ids';
import { createPool } from '../../src/io/mysql';
import { readDaily } from '../../src/io/sales-store';
import { type RunningWorker, startWorker } from '../../workers/worker';
import type { BackfillResult } from '../../workflows/types';
import { launchBrowser, screenshotPath } from '../helpers/browser';
import { createTestEnv, type TestEnv } from '../helpers/env';

const ORDERS_CSV = path.join(REPO_ROOT, 'data/orders.csv');

function sliceCsv(dest: string, from: number, to: number): string {
  const lines = fs.readFileSync(ORDERS_CSV, 'utf8').split('\n');
  fs.writeFileSync(dest, `${[lines[0], ...lines.slice(1 + from, 1 + to)].join('\n')}\n`);
  return dest;
}

describe('dashboard', () => {
  let t: TestEnv;
  let worker: RunningWorker;
  let client: Client;
  let closeClient: () => Promise<void>;
  let dashboard: Dashboard;
  let browser: Browser | undefined;

  async function replay(from: number, to: number) {
    const file = sliceCsv(path.join(t.tmpDir, `orders-${from}.csv`), from, to);
    const { handle } = await startReplay(client, t.config, await replayInput(t.config, { file, max: true }));
    await handle.result();
    await waitCounted(t.config, { timeoutMs: 120_000 });
  }

  const api = async (pathAndQuery: string, init?: RequestInit) => {
    const res = await fetch(new URL(pathAndQuery, dashboard.url), init);
    return {
      status: res.status,
      body: res.status === 200 || res.headers.get('content-type')?.includes('json') ? await res.json() : null,
    };
  };

  beforeAll(async () => {
    t = await createTestEnv('dash');
    worker = await startWorker(t.config, { handleSignals: false });
    ({ client, close: closeClient } = await connectClient(t.config));
    await loadCustomers(t.config, path.join(REPO_ROOT, 'data/customers.csv'));
    await startStream(client, t.config);
    await replay(0, 1500);
    dashboard = await startDashboard(t.config, { port: 0 });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await client?.workflow
      .getHandle(streamWorkflowId(t.config))
      .terminate('test done')
      .catch(() => undefined);
    worker?.worker.shutdown();
    await worker?.done;
    await closeClient?.();
    await t?.cleanup();
  });

  it('serves sales per state for a source, sorted by amount, equal to the totals table', async () => {
    const totals = await queryTotals(t.config);
    for (const source of SOURCES) {
      const { status, body } = await api(`/api/sales/by-state?source=${source}`);
      expect(status).toBe(200);
      const expected = totals
        .filter((r) => r.source === source)
        .sort((a, b) => b.amount - a.amount)
        .map((r) => ({ state: r.state, orders: r.orders, amount: r.amount }));
      expect(body).toEqual(expected);
      expect(body.length).toBeGreaterThan(10);
    }
  });

  it('serves totals, windows and health that add up', async () => {
    const { body: totals } = await api('/api/sales/totals');
    expect(totals.orders).toBe(1500);
    expect(totals.bySource.map((s: { source: string }) => s.source)).toEqual([...SOURCES]);
    expect(totals.bySource.reduce((n: number, s: { orders: number }) => n + s.orders, 0)).toBe(1500);
    const { body: windows } = await api('/api/windows?limit=1000');
    expect(windows.reduce((n: number, w: { orders: number }) => n + w.orders, 0)).toBe(1500);
    const windowAmount = windows.reduce((n: number, w: { amount: number }) => n + w.amount, 0);
    expect(Math.abs(windowAmount - totals.amount) / totals.amount).toBeLessThan(1e-9);
    expect((await api('/api/windows?limit=1')).body).toHaveLength(1);
    const { body: health } = await api('/api/health');
    expect(health.countedOrders).toBe(1500);
    expect(health.stream.status).toBe('running');
    expect(health.stream.workflowId).toBe(streamWorkflowId(t.config));
    expect(health.lastWindow.windowStart).toBe(windows.at(-1).windowStart);
    expect(health.dlq).toEqual({});
  });

  it('serves daily sales from sales_daily after a backfill', async () => {
    expect((await api('/api/daily')).body.rows).toEqual([]);
    const result = await client.workflow.execute('backfill', {
      taskQueue: t.config.taskQueue,
      workflowId: `${t.config.consumerName}-backfill`,
      args: [{ from: '2016-01-01', to: '2020-12-31', source: 'cassandra' }],
    });
    expect((result as BackfillResult).orders).toBe(1500);
    const { body } = await api('/api/daily?from=2018-01-01&to=2018-12-31');
    const pool = createPool(t.config, { connectionLimit: 1 });
    const rows = await readDaily(pool, '2018-01-01', '2018-12-31');
    await pool.end();
    expect(body.from).toBe('2018-01-01');
    expect(body.rows.reduce((n: number, r: { orders: number }) => n + r.orders, 0)).toBe(
      rows.reduce((n, r) => n + r.orders, 0),
    );
    expect(body.rows.every((r: { day: string }) => r.day >= '2018-01-01' && r.day <= '2018-12-31')).toBe(
      true,
    );
    const open = (await api('/api/daily')).body;
    expect(open.rows.reduce((n: number, r: { orders: number }) => n + r.orders, 0)).toBe(1500);
  });

  it('rejects bad parameters with 400 and a clear message, unknown paths with 404, writes with 405', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/sales/by-state', /missing parameter 'source'/],
      ['/api/sales/by-state?source=MySpace', /source must be one of/],
      ['/api/sales/by-state?source=Google&x=1', /unknown parameter 'x'/],
      ['/api/windows?limit=0', /limit must be an integer from 1 to 1000/],
      ['/api/windows?limit=abc', /limit must be/],
      ['/api/daily?from=2018-13-01', /from must be a date/],
      ['/api/daily?from=2019-01-01&to=2018-01-01', /must not be after/],
      ['/api/sales/totals?source=Google', /takes none/],
    ];
    for (const [url, message] of cases) {
      const { status, body } = await api(url);
      expect(status, url).toBe(400);
      expect(body.error, url).toMatch(message);
    }
    expect((await api('/api/nope')).status).toBe(404);
    expect((await api('/nope.js')).status).toBe(404);
    expect((await api('/api/health', { method: 'POST' })).status).toBe(405);
  });

  it('reads MySQL as a user that cannot write', async () => {
    const ro = createPool(t.config, { readonly: true, connectionLimit: 1 });
    try {
      await expect(ro.query('UPDATE sales_totals SET orders = 0')).rejects.toThrow(/command denied/i);
    } finally {
      await ro.end();
    }
  });

  it('renders the five charts, the Facebook states in order, and updates live after another window', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dashboard.url);
    await page.waitForFunction(() => document.body.dataset.updated !== undefined, undefined, {
      timeout: 30_000,
    });

    for (const source of SOURCES) {
      const card = page.locator(`section.card[data-source="${source}"]`);
      await expect(card.locator('h3').textContent()).resolves.toContain(
        `Total Sales in different states with Source ${source}`,
      );
      // Drawn: the SVG holds one bar path per state, at least.
      expect(await card.locator('svg path').count()).toBeGreaterThan(10);
    }
    const expected = (
      (await api('/api/sales/by-state?source=Facebook')).body as Array<{ state: string }>
    ).map((r) => r.state);
    const shown = await page
      .locator('section.card[data-source="Facebook"] table tbody tr td:first-child')
      .allTextContents();
    expect(shown).toEqual(expected);
    expect(await page.locator('#kpi-orders').textContent()).toBe('1,500');
    expect(await page.locator('#kpi-stream').textContent()).toBe('running');
    expect(await page.locator('#map svg path').count()).toBeGreaterThanOrEqual(51);
    await page.screenshot({ path: screenshotPath('dashboard-full'), fullPage: true });
    await page.locator('#map').screenshot({ path: screenshotPath('dashboard-map') });

    // Another window: the page updates by itself (server-sent events), no reload.
    const before = await page.evaluate(() => document.body.dataset.updated);
    await replay(1500, 2000);
    await page.waitForFunction(
      () => document.getElementById('kpi-orders')?.textContent === '2,000',
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await page.evaluate(() => document.body.dataset.updated)).not.toBe(before);
    await page.screenshot({ path: screenshotPath('dashboard-after-update'), fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);

  it('shows sensible empty states before any data', async () => {
    const empty = await createTestEnv('dashempty');
    const d = await startDashboard(empty.config, { port: 0 });
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await page.goto(d.url);
      await page.waitForFunction(() => document.body.dataset.updated !== undefined, undefined, {
        timeout: 30_000,
      });
      expect(await page.locator('#empty-banner').isVisible()).toBe(true);
      expect(await page.locator('#kpi-orders').textContent()).toBe('0');
      expect(await page.locator('#kpi-stream').textContent()).toBe('not found');
      await expect(page.locator('section.card[data-source="Google"]').textContent()).resolves.toBeTruthy();
      await page.screenshot({ path: screenshotPath('dashboard-empty'), fullPage: true });
    } finally {
      await page.close();
      await d.close();
      await empty.cleanup();
    }
  });
});
