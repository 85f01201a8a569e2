/**
 * `salesflow superset` for real: Apache Superset from the shared cache's venv (installed here on a fresh machine),
 * its own metadata store in a temporary state folder, reading this file's isolated MySQL database after the
 * default data set has streamed. The five seed charts' data must be `salesflow totals` per source, amount
 * descending; the dashboard must draw in Chromium; re-imports update in place; an export gives back the
 * committed assets; a wrong read-only password fails fast with exit 5.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { SOURCES } from '../../src/core/types';
import { EXIT } from '../../src/errors';
import { alive, sleep } from '../../tools/stack/proc';
import { importAssets, SupersetApi } from '../../tools/superset/assets';
import { ASSETS_DIR } from '../../tools/superset/install';
import { launchBrowser, screenshotPath } from '../helpers/browser';
import { salesflow } from '../helpers/cli';
import { ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';

const TITLE = (source: string) => `Total Sales in different states with Source ${source}`;

interface Started {
  child: ChildProcess;
  url: string;
  stdout: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Every `salesflow superset` this file starts, so afterAll stops even one that never became ready. */
const children = new Set<ChildProcess>();

/** Starts `salesflow superset` and resolves once it prints the dashboard URL (its "ready"). */
function startSuperset(env: Record<string, string>, port: number): Promise<Started> {
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/salesflow.js'), 'superset', '--port', String(port)],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      stdout += d;
      const url = stdout.match(/^(http:\/\/127\.0\.0\.1:\d+\/superset\/dashboard\/online-sales\/)$/m)?.[1];
      if (url) resolve({ child, url, stdout, stderr: () => stderr, exit });
    });
    void exit.then((code) => reject(new Error(`salesflow superset exited ${code} before ready: ${stderr}`)));
  });
}

async function stopSuperset(s: Started | undefined): Promise<number | null | undefined> {
  if (!s) return undefined;
  if (s.child.exitCode === null) s.child.kill('SIGTERM');
  return s.exit;
}

describe('salesflow superset', () => {
  let pipeline: Pipeline;
  let env: Record<string, string>;
  let stateDir: string;
  let port: number;
  let first: { stderr: string; code: number | null | undefined; gunicornPid: number };
  let superset: Started | undefined;
  let api: SupersetApi;
  let browser: Browser | undefined;

  const passwordFile = () => path.join(stateDir, 'superset', 'admin-password');

  beforeAll(async () => {
    pipeline = await startPipeline('superset');
    await pipeline.replay(ORDERS_CSV);
    // sales_daily, so the "Sales by day" chart has something to draw (the worker is this process's).
    const backfill = await salesflow(
      ['backfill', '--from', '2016-01-01', '--to', '2020-12-31', '--wait'],
      pipeline.t.env,
    );
    expect(backfill.code, backfill.stderr).toBe(0);
    // Its own metadata store and admin; the venv stays in the shared cache, so only a fresh machine installs it.
    stateDir = path.join(pipeline.t.tmpDir, 'state');
    env = { ...pipeline.t.env, SALESFLOW_STATE: stateDir };
    port = await freePort();

    // First run: initialises, prints the generated password once; SIGTERM stops it and gunicorn with it.
    const firstRun = await startSuperset(env, port);
    const gunicornPid = Number(fs.readFileSync(path.join(stateDir, 'superset', 'superset.pid'), 'utf8'));
    const code = await stopSuperset(firstRun);
    first = { stderr: firstRun.stderr(), code, gunicornPid };

    // Second run: reuses everything; the tests below talk to it.
    superset = await startSuperset(env, port);
    api = await SupersetApi.login(
      `http://127.0.0.1:${port}`,
      'admin',
      fs.readFileSync(passwordFile(), 'utf8').trim(),
    );
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await stopSuperset(superset);
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
    await pipeline?.close();
  });

  it('shows the generated admin password once, keeps it 0600, stops with its children, restarts without it', async () => {
    const password = fs.readFileSync(passwordFile(), 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(fs.statSync(passwordFile()).mode & 0o777).toBe(0o600);
    expect(first.stderr.split(password).length - 1).toBe(1);
    expect(first.code).toBe(EXIT.ok);
    expect(alive(first.gunicornPid)).toBe(false);
    expect(superset?.stderr()).not.toContain(password);
    expect(superset?.stderr()).not.toContain('initialising');
    expect(superset?.stderr()).not.toContain('installing');
  });

  it("serves the seed's five charts with exactly `salesflow totals` per source, amount descending", async () => {
    const totals = await salesflow(['totals', '--json'], env);
    expect(totals.code, totals.stderr).toBe(0);
    const rows = JSON.parse(totals.stdout) as Array<{ source: string; state: string; amount: number }>;
    const charts = await api.json<{ result: Array<{ id: number; slice_name: string }> }>(
      '/api/v1/chart/?q=(page_size:100)',
    );
    for (const source of SOURCES) {
      const chart = charts.result.find((c) => c.slice_name === TITLE(source));
      expect(chart, TITLE(source)).toBeDefined();
      const data = await api.json<{ result: Array<{ data: Array<{ state: string; amount_paid: number }> }> }>(
        `/api/v1/chart/${chart?.id}/data/`,
      );
      const expected = rows
        .filter((r) => r.source === source)
        .sort((a, b) => b.amount - a.amount)
        .map((r) => ({ state: r.state, amount: r.amount }));
      expect(expected.length).toBeGreaterThan(20);
      const got = data.result[0].data;
      expect(got.map((r) => r.state)).toEqual(expected.map((r) => r.state));
      // The same doubles up to the last printed digit: PyMySQL and mysql2 read MySQL's doubles differently.
      for (const [i, r] of got.entries()) expect(r.amount_paid).toBeCloseTo(expected[i].amount, 6);
    }
  });

  it('draws the "Online sales" dashboard in Chromium, calling no other host', async () => {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1600, height: 1400 } });
    // Anything the page asks of another host (Superset's UI carries Scarf's telemetry pixel) must be refused by
    // the content security policy itself, not merely fail for want of a network.
    const offsite = new Map<string, string>();
    page.on('request', (req) => {
      if (new URL(req.url()).host !== `127.0.0.1:${port}`) offsite.set(req.url(), 'sent');
    });
    page.on('requestfailed', (req) => {
      if (offsite.has(req.url())) offsite.set(req.url(), req.failure()?.errorText ?? 'failed');
    });
    await page.goto(`http://127.0.0.1:${port}/login/`);
    // Superset 6's login page is React: its inputs have ids, no names.
    await page.fill('#username', 'admin');
    await page.fill('#password', fs.readFileSync(passwordFile(), 'utf8').trim());
    await Promise.all([
      page.waitForURL((u) => !u.pathname.startsWith('/login')),
      page.press('#password', 'Enter'),
    ]);
    await page.goto(superset?.url ?? '');
    for (const source of SOURCES)
      await page.getByText(TITLE(source), { exact: true }).first().waitFor({ timeout: 60_000 });
    // Drawn: ECharts paints each of the six bar and line charts on a canvas; the pivot table is HTML.
    await page.waitForFunction(
      () => document.querySelectorAll('.dashboard-chart canvas').length >= 6,
      undefined,
      {
        timeout: 60_000,
      },
    );
    await page.locator('.pivot_table_v2 table, .pvtTable').first().waitFor({ timeout: 60_000 });
    expect(await page.getByText('Unexpected error').count()).toBe(0);
    expect(await page.getByText('No results were returned for this query').count()).toBe(0);
    await sleep(1000); // the charts' entry animation, for a readable screenshot
    await page.screenshot({ path: screenshotPath('superset-dashboard'), fullPage: true });
    // The dashboard's 15 s auto-refresh: every chart asks for its data again, unprompted.
    const refreshed = new Set<number>();
    page.on('request', (req) => {
      if (req.method() === 'POST' && req.url().includes('/api/v1/chart/data'))
        refreshed.add((req.postDataJSON() as { form_data: { slice_id: number } }).form_data.slice_id);
    });
    const deadline = Date.now() + 45_000;
    while (refreshed.size < 8 && Date.now() < deadline) await sleep(500);
    expect(refreshed.size).toBe(8);
    for (const [url, outcome] of offsite) expect(outcome, url).toBe('csp');
  });

  it("serves a content security policy without Scarf's telemetry host", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/login/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/img-src 'self'/);
    expect(csp).not.toContain('scarf');
  });

  it('re-importing the assets twice updates in place: one dashboard, the same five charts', async () => {
    type Listing = {
      count: number;
      result: Array<{ id: number; slice_name?: string; dashboard_title?: string }>;
    };
    const chartIds = async () =>
      (await api.json<Listing>('/api/v1/chart/?q=(page_size:100)')).result
        .filter((c) => c.slice_name?.startsWith('Total Sales in different states with Source '))
        .map((c) => c.id)
        .sort();
    const before = await chartIds();
    expect(before).toHaveLength(5);
    const config = loadConfig({ ...process.env, ...env });
    await importAssets(api, ASSETS_DIR, config);
    await importAssets(api, ASSETS_DIR, config);
    expect(await chartIds()).toEqual(before);
    const dashboards = await api.json<Listing>('/api/v1/dashboard/?q=(page_size:100)');
    expect(dashboards.result.filter((d) => d.dashboard_title === 'Online sales')).toHaveLength(1);
    const onDashboard = await api.json<{ result: Array<{ slice_name: string }> }>(
      '/api/v1/dashboard/online-sales/charts',
    );
    expect(
      onDashboard.result.map((c) => c.slice_name).filter((n) => n.startsWith('Total Sales')),
    ).toHaveLength(5);
    expect(onDashboard.result).toHaveLength(8);
    const database = await api.json<{ count: number }>('/api/v1/database/');
    expect(database.count).toBe(1);
  });

  it('--export writes back exactly the committed assets, without the password or this database name', async () => {
    const dir = path.join(pipeline.t.tmpDir, 'export');
    const r = await salesflow(['superset', '--export', dir, '--port', String(port)], env);
    expect(r.code, r.stderr).toBe(0);
    const list = (root: string): string[] =>
      fs
        .readdirSync(root, { recursive: true, withFileTypes: false })
        .map(String)
        .filter((f) => f.endsWith('.yaml'))
        .sort();
    expect(list(dir)).toEqual(list(ASSETS_DIR));
    for (const f of list(ASSETS_DIR))
      expect(fs.readFileSync(path.join(dir, f), 'utf8'), f).toBe(
        fs.readFileSync(path.join(ASSETS_DIR, f), 'utf8'),
      );
    const all = list(dir)
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    expect(all).not.toContain(pipeline.t.config.mysqlDatabase);
    expect(all).toContain(':XXXXXXXXXX@'); // Superset's password mask, never the password
  });

  it('a wrong read-only password fails at once: one line naming MYSQL_READONLY_PASSWORD, exit 5', async () => {
    const r = await salesflow(['superset', '--port', String(await freePort())], {
      ...env,
      SALESFLOW_STATE: path.join(pipeline.t.tmpDir, 'state-wrong'),
      MYSQL_READONLY_PASSWORD: 'not-the-password',
    });
    expect(r.code).toBe(EXIT.unreachable);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('MYSQL_READONLY_PASSWORD');
    expect(r.stderr).not.toContain('not-the-password');
    expect(fs.existsSync(path.join(pipeline.t.tmpDir, 'state-wrong', 'superset'))).toBe(false);
  });
});
