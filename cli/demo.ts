/**
 * `salesflow demo` (= `npm start`): stack up → worker → customers load → stream start → replay at max rate →
 * wait until every replayed order is counted → totals and where to look next. Keeps the worker and the dashboard
 * running until Ctrl-C (or exits at once with --exit).
 */
import * as path from 'node:path';
import { loadCustomers, readRunningTotals } from '../app/ops/data';
import { replayInput, startReplay } from '../app/ops/replay';
import { startStreamWorkflow, waitCounted } from '../app/ops/stream';
import { withClient } from '../app/ops/temporal';
import { parse } from '../src/args';
import { loadConfig, REPO_ROOT } from '../src/config';
import { EXIT } from '../src/errors';
import { Progress } from '../src/terminal';
import { printTotals } from './data';
import { waitReplay } from './replay';
import { runStack } from './stack';

export async function runDemo(args: string[]): Promise<number> {
  const p = parse(args, {
    exit: { type: 'boolean' },
    file: { type: 'string' },
    customers: { type: 'string' },
    'no-dashboard': { type: 'boolean' },
  });
  if (p.help) {
    console.log(
      'Usage: salesflow demo [--file data/orders.csv] [--customers data/customers.csv] [--exit] [--no-dashboard]\n\n' +
        'Brings the stack up, runs a worker, loads customers, starts the stream, replays the orders at max rate,\n' +
        'waits until every order is counted and prints the totals. Then keeps the worker and the dashboard running\n' +
        'until Ctrl-C (--exit stops right after the totals).',
    );
    return EXIT.ok;
  }
  const step = (m: string) => console.error(`\n==> ${m}`);
  step('stack up');
  await runStack(['up']);
  const config = loadConfig();

  step('worker');
  const { startWorker } = await import('../workers/worker');
  const worker = await startWorker(config);

  step('customers load');
  const customers = await loadCustomers(
    config,
    path.resolve(String(p.values.customers ?? path.join(REPO_ROOT, 'data/customers.csv'))),
  );
  console.error(
    `customers: ${customers.loaded} loaded${customers.bad.length ? `, ${customers.bad.length} bad rows skipped` : ''}`,
  );

  let dashboardUrl: string | null = null;
  let closeDashboard: (() => Promise<void>) | null = null;
  if (!p.values['no-dashboard']) {
    const { startDashboard } = await import('../app/dashboard/server');
    const dashboard = await startDashboard(config, { port: config.dashboardPort, host: '127.0.0.1' });
    dashboardUrl = dashboard.url;
    closeDashboard = dashboard.close;
  }

  await withClient(config, async (client) => {
    step('stream start');
    const stream = await startStreamWorkflow(client, config);
    console.error(`stream ${stream.started ? 'started' : 'already running'}: ${stream.handle.workflowId}`);

    step('replay --max');
    const input = await replayInput(config, {
      file: String(p.values.file ?? path.join(REPO_ROOT, 'data/orders.csv')),
      max: true,
    });
    const replay = await startReplay(client, config, input);
    await waitReplay(replay.handle, input.totalRows);
  });

  step(`waiting for the stream to count every order (windows of ${config.windowSeconds} s)`);
  const progress = new Progress();
  const seconds = await waitCounted(config, {
    timeoutMs: 10 * 60_000,
    onTick: (lag) => progress.update(`stream: ${lag} records still to count`),
  });
  progress.done(`stream: caught up ${seconds.toFixed(1)} s after the replay finished`);

  step('totals per (source, state)');
  printTotals(await readRunningTotals(config));

  console.error(`
Where to look next:
  Temporal UI (operators):  http://127.0.0.1:${config.temporalUiPort}/namespaces/${config.temporalNamespace}/workflows
  Dashboard (analysts):     ${dashboardUrl ?? 'salesflow dashboard'}
  Stream status:            npx salesflow stream status
  Totals as JSON:           npx salesflow totals --json`);

  if (!p.values.exit) {
    console.error(
      '\nThe worker and the dashboard keep running; Ctrl-C to stop them (the stack stays up: npx salesflow stack down).',
    );
    await worker.done;
  } else {
    worker.worker.shutdown();
    await worker.done;
  }
  await closeDashboard?.();
  return EXIT.ok;
}
