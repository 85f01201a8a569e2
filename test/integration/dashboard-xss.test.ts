/**
 * Values from the data never become markup on the page: a state that is HTML (as a customers CSV could carry)
 * is committed into the real tables, the page is opened in headless Chromium, and hovering the bar and the
 * heatmap cell shows the tooltips with the text as text, creating no element.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../../app/dashboard/server';
import { createPool } from '../../src/io/mysql';
import { launchBrowser } from '../helpers/browser';
import { createTestEnv, type TestEnv } from '../helpers/env';

// 8 characters: what the state column holds. It would create <i id="x"> if put into HTML as is.
const EVIL_STATE = '<i id=x>';

describe('dashboard escapes data in HTML', () => {
  let t: TestEnv;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    t = await createTestEnv('dashxss');
    const admin = createPool(t.config, { connectionLimit: 1 });
    // The only row, so the Facebook chart's one bar and the heatmap's one cell are the evil state's.
    await admin.query(
      `INSERT INTO sales_totals (source, state, orders, amount, subtotal, tax, discount, quantity, updated_at)
       VALUES ('Facebook', ?, 3, 123.45, 110, 13.45, 0, 3, NOW(3))`,
      [EVIL_STATE],
    );
    await admin.end();
    dashboard = await startDashboard(t.config, { port: 0 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(dashboard.url);
    await page.waitForFunction(() => document.body.dataset.updated !== undefined, undefined, {
      timeout: 30_000,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await t?.cleanup();
  });

  /** Hovers the chart's drawn shapes until a tooltip shows `text`; returns the tooltip's HTML. */
  async function tooltipFor(chart: string, text: string): Promise<string> {
    const shapes = page.locator(`${chart} svg path`);
    const n = await shapes.count();
    for (let i = n - 1; i >= 0; i--) {
      await shapes
        .nth(i)
        .scrollIntoViewIfNeeded({ timeout: 2000 })
        .catch(() => undefined);
      const box = await shapes.nth(i).boundingBox();
      if (!box || box.width < 2 || box.height < 2) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForTimeout(150);
      const html = await page.evaluate(
        ({ chart, text }) => {
          for (const div of Array.from(document.querySelectorAll<HTMLElement>(`${chart} div`))) {
            if (div.style.position === 'absolute' && div.textContent?.includes(text)) return div.innerHTML;
          }
          return null;
        },
        { chart, text },
      );
      if (html) return html;
    }
    throw new Error(`no tooltip with ${text} in ${chart}`);
  }

  it('a state that is HTML shows as text in the bar chart and heatmap tooltips and tables', async () => {
    const facebook = 'section.card[data-source="Facebook"]';
    expect(await page.locator(`${facebook} tbody td`).first().textContent()).toBe(EVIL_STATE);
    const bar = await tooltipFor(`${facebook} .chart`, EVIL_STATE);
    expect(bar).toContain('&lt;i id=x&gt;');
    const heat = await tooltipFor('#heatmap', EVIL_STATE);
    expect(heat).toContain('&lt;i id=x&gt;');
    // Nothing the data spelled became an element anywhere on the page.
    expect(await page.locator('#x').count()).toBe(0);
    expect(await page.locator('.chart i').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
