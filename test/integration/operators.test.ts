/**
 * What operators and scripts rely on: Temporal's own CLI drives the workflows with the task queue, type and input
 * the README spells out; the Web UI lists the stream and a finished backfill (headless Chromium, screenshot);
 * `salesflow` exit codes and --json shapes.
 */
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitCounted } from '../../app/ops/stream';
import { statusQuery } from '../../src/contract';
import { backfillWorkflowId, replayWorkflowId, streamWorkflowId } from '../../src/ids';
import { launchBrowser, screenshotPath } from '../helpers/browser';
import { run, salesflow as runSalesflow, temporalCli } from '../helpers/cli';
import { headCsv, type TestEnv } from '../helpers/env';
import { ORDERS_CSV, type Pipeline, startPipeline } from '../helpers/pipeline';
import { until } from '../helpers/until';

const ORDERS = 500;

describe('operators and scripts', () => {
  let pipeline: Pipeline;
  let t: TestEnv;
  let client: Client;
  let browser: Browser | undefined;
  let ordersCsv: string;
  const salesflow = (args: string[], env: Record<string, string> = {}) =>
    runSalesflow(args, { ...t.env, ...env });
  const temporal = (args: string[]) => run(temporalCli(), [...args, '--address', t.config.temporalAddress]);

  beforeAll(async () => {
    // No stream yet: the first test checks what scripts see before anything runs.
    pipeline = await startPipeline('ops', { stream: false });
    ({ t, client } = pipeline);
    ordersCsv = headCsv(ORDERS_CSV, path.join(t.tmpDir, 'orders.csv'), ORDERS);
  });

  afterAll(async () => {
    await browser?.close();
    await pipeline?.close();
  });

  it('answers before anything runs: not found, usage, unreachable, --help everywhere', async () => {
    const missing = await salesflow(['stream', 'status']);
    expect(missing.code).toBe(3);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const usage = await salesflow(['stream', 'sideways']);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    expect((await salesflow(['nonsense'])).code).toBe(2);
    expect((await salesflow(['replay', '--rate', 'fast'])).code).toBe(2);
    const down = await salesflow(['stream', 'status'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(down.code).toBe(5);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/Temporal at 127\.0\.0\.1:1 \(TEMPORAL_ADDRESS\)/);
    const badEnv = await salesflow(['totals'], { WINDOW_SECONDS: 'often' });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toMatch(/WINDOW_SECONDS="often" is invalid/);
    const commands = [
      'demo',
      'stack',
      'migrate',
      'worker',
      'stream',
      'replay',
      'customers',
      'totals',
      'reset',
      'backfill',
      'dashboard',
      'bench',
      'generate',
    ];
    for (const command of commands) {
      const r = await salesflow([command, '--help']);
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(/Usage:\s+salesflow/);
    }
    expect((await salesflow(['totals', '--json'])).stdout.trim()).toBe('[]');
  });

  it("drives the workflows with Temporal's own CLI, as the README shows", async () => {
    const streamId = streamWorkflowId(t.config);
    const input = { streamId, topic: t.config.ordersTopic, windowSeconds: t.config.windowSeconds };
    const start = await temporal([
      'workflow',
      'start',
      '--task-queue',
      t.config.taskQueue,
      '--type',
      'salesStream',
      '--workflow-id',
      streamId,
      '--input',
      JSON.stringify(input),
    ]);
    expect(start.code, start.stderr).toBe(0);
    // The CLI reports the running stream instead of starting a twin.
    const twin = await salesflow(['stream', 'start']);
    expect(twin.code).toBe(4);
    expect(twin.stderr).toMatch(/already running/);

    const replay = await temporal([
      'workflow',
      'execute',
      '--task-queue',
      t.config.taskQueue,
      '--type',
      'replayOrders',
      '--workflow-id',
      replayWorkflowId(t.config),
      '--input',
      JSON.stringify({ file: ordersCsv, topic: t.config.ordersTopic, max: true }),
    ]);
    expect(replay.code, replay.stderr).toBe(0);
    await waitCounted(t.config, { timeoutMs: 120_000 });
    // The workflow's totals add a window when it closes (MySQL has its orders as soon as each part commits).
    await until(
      'the last window to close',
      () => client.workflow.getHandle(streamId).query(statusQuery),
      (s) => s.totals.orders === ORDERS,
    );

    expect((await temporal(['workflow', 'signal', '--workflow-id', streamId, '--name', 'pause'])).code).toBe(
      0,
    );
    const query = await temporal([
      'workflow',
      'query',
      '--workflow-id',
      streamId,
      '--type',
      'status',
      '-o',
      'json',
    ]);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stdout).toMatch(/"paused":\s*true/);
    expect(query.stdout).toContain(`"orders": ${ORDERS}`);
    expect((await temporal(['workflow', 'signal', '--workflow-id', streamId, '--name', 'resume'])).code).toBe(
      0,
    );
    const status = await client.workflow.getHandle(streamId).query(statusQuery);
    expect(status.paused).toBe(false);

    const describe = await temporal(['workflow', 'describe', '--workflow-id', streamId, '-o', 'json']);
    expect(describe.code).toBe(0);
    expect(describe.stdout).toContain('"status": "WORKFLOW_EXECUTION_STATUS_RUNNING"');

    // --json shapes scripts read.
    const json = JSON.parse((await salesflow(['stream', 'status', '--json'])).stdout);
    expect(json).toMatchObject({ streamId, paused: false, totals: { orders: ORDERS } });
    const totals = JSON.parse((await salesflow(['totals', '--json'])).stdout) as Array<
      Record<string, unknown>
    >;
    expect(totals.reduce((n, r) => n + (r.orders as number), 0)).toBe(ORDERS);
    for (const row of totals)
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['source', 'state', 'orders', 'amount']));
    const pause = JSON.parse((await salesflow(['stream', 'pause', '--json'])).stdout);
    expect(pause).toEqual({ workflowId: streamId, signal: 'pause' });
    expect((await salesflow(['stream', 'resume'])).code).toBe(0);
  });

  it('lists the running stream and a finished backfill in the Temporal Web UI', async () => {
    const backfill = await salesflow([
      'backfill',
      '--from',
      '2016-01-01',
      '--to',
      '2016-03-31',
      '--wait',
      '--json',
    ]);
    expect(backfill.code, backfill.stderr).toBe(0);
    const streamId = streamWorkflowId(t.config);
    const backfillId = backfillWorkflowId(t.config, '2016-01-01', '2016-03-31');

    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const query = encodeURIComponent(`TaskQueue="${t.config.taskQueue}"`);
    await page.goto(
      `http://127.0.0.1:${t.config.temporalUiPort}/namespaces/${t.config.temporalNamespace}/workflows?query=${query}`,
    );
    await page.getByText(streamId).first().waitFor({ timeout: 30_000 });
    await page.getByText(backfillId).first().waitFor({ timeout: 30_000 });
    const text = await page.locator('body').textContent();
    expect(text ?? '').toContain('salesStream');
    expect(text ?? '').toContain('backfill');
    await page.screenshot({ path: screenshotPath('temporal-ui-workflows'), fullPage: true });

    // The stream's own page: its memo (windows done, orders counted) is there for operators.
    await page.getByRole('link', { name: streamId }).first().click();
    await page.waitForURL(new RegExp(`/workflows/${streamId}/`), { timeout: 30_000 });
    await page.getByText('Running').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: screenshotPath('temporal-ui-stream'), fullPage: true });
  });
});
