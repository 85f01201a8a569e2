import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../app/dashboard/server';
import { SOURCES } from '../../src/core/types';
import { createPool } from '../../src/io/mysql';
import { replaceDailyRows } from '../../src/io/store/daily';
import { launchBrowser, screenshotPath } from '../helpers/browser';
import { createTestEnv, headCsv, sliceCsv, type TestEnv } from '../helpers/env';
import { CUSTOMERS_CSV, ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { referenceDaily, referenceTotals } from '../helpers/reference';

const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const NO_SALES = 'No orders counted yet — start a replay: npx salesflow replay';

const loaded = (page: Page) =>
  page.waitForFunction(() => document.body.dataset.updated !== undefined, undefined, { timeout: 30_000 });

describe('dashboard page', () => {
  let pipeline: Pipeline;
  let t: TestEnv;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const replay = (file: string) => pipeline.replay(file);
  const apiJson = async <T>(p: string): Promise<T> => (await fetch(new URL(p, dashboard.url))).json() as T;
  const column = (selector: string, n = 1) =>
    page.locator(`${selector} tbody tr td:nth-child(${n})`).allTextContents();

  beforeAll(async () => {
    pipeline = await startPipeline('dashui');
    t = pipeline.t;
    await replay(headCsv(ORDERS_CSV, path.join(t.tmpDir, 'first.csv'), 1500));
    dashboard = await startDashboard(t.config, { port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(dashboard.url);
    await loaded(page);
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await pipeline?.close();
  });

  it('draws the five per-source charts, Facebook states in the reference order, money formatted', async () => {
    for (const source of SOURCES) {
      const card = page.locator(`section.card[data-source="${source}"]`);
      expect(await card.locator('h3').textContent()).toContain(
        `Total Sales in different states with Source ${source}`,
      );
      const states = await apiJson<Array<{ state: string }>>(`/api/sales/by-state?source=${source}`);
      expect(states.length).toBeGreaterThan(20);
      // Drawn: one bar (an SVG path) per state at least, and the table lists the states in the API's order.
      expect(await card.locator('.chart svg path').count()).toBeGreaterThanOrEqual(states.length);
      expect(await column(`section.card[data-source="${source}"]`)).toEqual(states.map((r) => r.state));
      expect(await card.locator('.chart').getAttribute('aria-label')).toContain(source);
    }
    // The Facebook chart, checked against totals computed straight from the CSVs.
    const reference = [...referenceTotals(path.join(t.tmpDir, 'first.csv'), CUSTOMERS_CSV).values()]
      .filter((r) => r.source === 'Facebook')
      .sort((a, b) => b.amount - a.amount);
    const facebook = 'section.card[data-source="Facebook"]';
    expect(await column(facebook)).toEqual(reference.map((r) => r.state));
    expect(await column(facebook, 3)).toEqual(reference.map((r) => money.format(r.amount)));
    // The x axis of the chart itself shows the same order (ECharts draws the category labels as SVG text).
    const labels = await page.locator(`${facebook} .chart svg text`).allTextContents();
    const axis = labels.filter((l) => /^[A-Z]{2}$/.test(l));
    expect(axis).toEqual(reference.map((r) => r.state));
    expect(await page.locator(`${facebook} .total`).textContent()).toMatch(
      /^\$[\d,]+\.\d{2} · [\d,]+ orders$/,
    );

    expect(await page.locator('#kpi-orders').textContent()).toBe('1,500');
    expect(await page.locator('#kpi-amount').textContent()).toMatch(/^\$[\d,]+$/);
    expect(await page.locator('#kpi-stream').textContent()).toBe('running');
    expect(await page.locator('#empty-banner').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('colours the map and the heatmap, with data tables for both', async () => {
    const totals = await apiJson<{ rows: Array<{ state: string; source: string; amount: number }> }>(
      '/api/sales/totals',
    );
    const states = new Set(totals.rows.map((r) => r.state));
    expect(await page.locator('#map svg path').count()).toBeGreaterThanOrEqual(51);
    const fills = await page
      .locator('#map svg path')
      .evaluateAll((paths) => new Set(paths.map((p) => p.getAttribute('fill'))).size);
    expect(fills).toBeGreaterThan(10); // a choropleth, not one flat colour
    expect((await column('#map-table')).length).toBe(states.size);
    expect((await column('#heatmap-table')).length).toBe(states.size);
    await page.screenshot({ path: screenshotPath('dashboard-full'), fullPage: true });
    await page.locator('#map').screenshot({ path: screenshotPath('dashboard-map') });

    await page.selectOption('#map-source', 'Twitter');
    const twitter = totals.rows.filter((r) => r.source === 'Twitter').sort((a, b) => b.amount - a.amount);
    expect((await column('#map-table'))[0]).toContain(`(${twitter[0].state})`);
    expect(await page.locator('#map').getAttribute('aria-label')).toContain('Twitter');
    await page.locator('#map').screenshot({ path: screenshotPath('dashboard-map-twitter') });
  });

  it('shows daily history from sales_daily as it arrives, within the date range picked', async () => {
    expect(await page.locator('#daily svg text').allTextContents()).toContain(
      'No daily history in this range — run a backfill: npx salesflow backfill --from 2016-01-01 --to 2020-12-31',
    );
    // Write 2018's days through the store's own path; the page picks them up by itself (no reload).
    const daily = [
      ...referenceDaily(path.join(t.tmpDir, 'first.csv'), CUSTOMERS_CSV, '2018-01-01', '2018-12-31'),
    ];
    const byDay = new Map<string, Array<(typeof daily)[number][1]>>();
    for (const [, d] of daily) byDay.set(d.day, [...(byDay.get(d.day) ?? []), d]);
    const admin = createPool(t.config, { connectionLimit: 1 });
    try {
      for (const [day, rows] of byDay)
        await replaceDailyRows(
          admin,
          day,
          rows.map((r) => ({ ...r, subtotal: 0, tax: 0, discount: 0, quantity: r.orders })),
        );
    } finally {
      await admin.end();
    }
    const days = [...byDay.keys()].sort();
    // The open range follows the data (the page may first see some of the days: it catches up by itself).
    await expect.poll(() => page.locator('#daily-to').inputValue(), { timeout: 15_000 }).toBe(days.at(-1));
    await expect.poll(() => page.locator('#daily-from').inputValue()).toBe(days[0]);
    // A year of days is grouped by week.
    expect(await page.locator('#daily-table thead th').first().textContent()).toBe('Week of');

    await page.fill('#daily-from', '2018-03-01');
    await page.fill('#daily-to', '2018-05-31');
    await page.selectOption('#daily-by', 'month');
    await page.click('#daily-form button[type="submit"]');
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#daily-table tbody tr td:first-child'))
          .map((td) => td.textContent)
          .join() === '2018-03,2018-04,2018-05',
    );
    const spring = daily.map(([, d]) => d).filter((d) => d.day >= '2018-03-01' && d.day <= '2018-05-31');
    const total = spring.reduce((n, d) => n + d.amount, 0);
    const cells = await page.locator('#daily-table tbody tr td:last-child').allTextContents();
    const shown = cells.reduce((n, c) => n + Number(c.replace(/[$,]/g, '')), 0);
    expect(Math.abs(shown - total)).toBeLessThan(0.02);
    await page.locator('#daily').screenshot({ path: screenshotPath('dashboard-daily') });

    await page.fill('#daily-from', '2018-06-01');
    await page.fill('#daily-to', '2018-01-01');
    await page.click('#daily-form button[type="submit"]');
    await expect
      .poll(() => page.locator('#daily-error').textContent())
      .toBe('from (2018-06-01) must not be after to (2018-01-01)');
    // The browser logs the 400 it asked for; nothing else.
    expect(errors).toEqual([
      'Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    errors.length = 0;
    await page.click('#daily-reset');
    await expect.poll(() => page.locator('#daily-error').isVisible()).toBe(false);
    expect(errors).toEqual([]);
  });

  it('updates by itself after another window: no reload', async () => {
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const windowsBefore = (await column('#windows-table')).length;
    await replay(sliceCsv(ORDERS_CSV, path.join(t.tmpDir, 'more.csv'), 1500, 2000));
    await page.waitForFunction(
      () => document.getElementById('kpi-orders')?.textContent === '2,000',
      undefined,
      {
        timeout: 30_000,
      },
    );
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    // The totals move as parts commit; the windows table gains a row once its window is complete, a little later.
    await expect
      .poll(async () => (await column('#windows-table')).length, { timeout: 30_000 })
      .toBeGreaterThan(windowsBefore);
    // The charts follow too: the Facebook table is the API's new order.
    const facebook = await apiJson<Array<{ state: string }>>('/api/sales/by-state?source=Facebook');
    await expect
      .poll(() => column('section.card[data-source="Facebook"]'))
      .toEqual(facebook.map((r) => r.state));
    expect(await page.locator('#live').getAttribute('class')).toContain('on');
    await page.screenshot({ path: screenshotPath('dashboard-after-update'), fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);

  it('shows empty states before any data', async () => {
    const empty = await createTestEnv('dashempty');
    const d = await startDashboard(empty.config, { port: 0 });
    const p = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      await p.goto(d.url);
      await loaded(p);
      expect(await p.locator('#empty-banner').isVisible()).toBe(true);
      expect(await p.locator('#kpi-orders').textContent()).toBe('0');
      expect(await p.locator('#kpi-stream').textContent()).toBe('not found');
      for (const source of SOURCES)
        expect(
          await p.locator(`section.card[data-source="${source}"] .chart svg text`).allTextContents(),
        ).toContain(NO_SALES);
      await p.screenshot({ path: screenshotPath('dashboard-empty'), fullPage: true });
    } finally {
      await p.close();
      await d.close();
      await empty.cleanup();
    }
  });
});
