/** `salesflow worker`, `salesflow stream start|stop|pause|resume|status`. */

import { startStreamWorkflow, streamStatus } from '../app/ops/stream';
import { existingHandle, isRunning, withClient, workflowResult } from '../app/ops/temporal';
import { asksHelp, parse } from '../src/args';
import { loadConfig } from '../src/config';
import { pauseSignal, resumeSignal, stopSignal } from '../src/contract';
import { AlreadyRunningError, EXIT, NotFoundError, UsageError } from '../src/errors';
import { streamWorkflowId } from '../src/ids';
import { money, printTable } from '../src/terminal';

export async function runWorker(args: string[]): Promise<number> {
  const p = parse(args, {});
  if (p.help) {
    console.log(
      'Usage: salesflow worker\n\nRuns the Temporal worker (workflows and activities) on the task queue TASK_QUEUE.\n' +
        'Stops gracefully on SIGINT/SIGTERM.',
    );
    return EXIT.ok;
  }
  const config = loadConfig();
  const { startWorker } = await import('../workers/worker');
  const { done } = await startWorker(config);
  console.error(
    `worker: polling task queue '${config.taskQueue}' on ${config.temporalAddress} (pid ${process.pid})`,
  );
  await done;
  console.error('worker: stopped');
  return EXIT.ok;
}

export const STREAM_HELP = `Usage: salesflow stream <start|stop|pause|resume|status> [--json] [--wait]

  start    start the long-running salesStream workflow (reports the running one instead of starting a twin)
  stop     flush every closed window, then complete; the open one is left in Kafka (--wait: until it has)
  pause    stop counting within seconds (what the open window committed stays; offsets stay where they are)
  resume   continue after pause, from the same window
  status   offsets, lag, windows done, the last window's counts and the totals of the closed windows
           (--json for scripts; "salesflow totals" has every order counted so far, within a second)

Exit codes: 0 ok, 3 no stream workflow (stop/pause/resume: none running), 4 start: already running,
5 Temporal unreachable.`;

export async function runStream(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const p = parse(rest, { json: { type: 'boolean' }, wait: { type: 'boolean' } });
  if (!sub || p.help || asksHelp(sub)) {
    console.log(STREAM_HELP);
    return sub ? EXIT.ok : EXIT.usage;
  }
  if (!['start', 'stop', 'pause', 'resume', 'status'].includes(sub))
    throw new UsageError(
      `unknown stream command '${sub}' (expected start, stop, pause, resume or status; see --help)`,
    );
  const config = loadConfig();
  const id = streamWorkflowId(config);
  return withClient(config, async (client) => {
    switch (sub) {
      case 'start': {
        const { handle, started } = await startStreamWorkflow(client, config);
        const info = { workflowId: handle.workflowId, started, taskQueue: config.taskQueue };
        if (p.values.json) console.log(JSON.stringify(info));
        if (!started) throw new AlreadyRunningError(`stream already running: workflow ${handle.workflowId}`);
        if (!p.values.json)
          console.log(`stream started: workflow ${handle.workflowId} on task queue ${config.taskQueue}`);
        return EXIT.ok;
      }
      case 'stop':
      case 'pause':
      case 'resume': {
        const handle = await existingHandle(client, id, 'stream');
        if (!(await isRunning(handle))) throw new NotFoundError(`no running stream workflow ${id}`);
        await handle.signal({ stop: stopSignal, pause: pauseSignal, resume: resumeSignal }[sub]);
        if (sub === 'stop' && p.values.wait) await workflowResult(handle);
        if (p.values.json) console.log(JSON.stringify({ workflowId: id, signal: sub }));
        else console.log(`stream ${sub}${sub === 'stop' && p.values.wait ? 'ped' : ' signalled'}: ${id}`);
        return EXIT.ok;
      }
      case 'status': {
        const status = await streamStatus(client, config);
        if (p.values.json) {
          console.log(JSON.stringify(status, null, 2));
          return EXIT.ok;
        }
        const last = status.last;
        printTable(
          ['field', 'value'],
          [
            ['workflow', id],
            ['phase', status.phase],
            ...(status.degraded
              ? [
                  [
                    'degraded',
                    `window ${new Date(status.degraded.windowStartMs).toISOString()} failing since ` +
                      `${new Date(status.degraded.sinceMs).toISOString()} (${status.degraded.failures} tries): ` +
                      status.degraded.error,
                  ],
                ]
              : []),
            ['windows done', String(status.windowsDone)],
            [
              'next window',
              status.nextWindowStartMs ? new Date(status.nextWindowStartMs).toISOString() : '-',
            ],
            [
              'partitions / units',
              `${status.partitions ?? 1} / ${status.units ?? 1} (units consume a window at once, on any worker)`,
            ],
            ['offsets', JSON.stringify(status.offsets)],
            ['lag (records)', String(status.lagRecords)],
            ['orders counted', String(status.totals.orders)],
            ['amount', money(status.totals.amount)],
            ['duplicates', String(status.totals.duplicates)],
            ['invalid (DLQ)', String(status.totals.invalid)],
            [
              'last window',
              last
                ? `${new Date(last.windowStartMs).toISOString()}: ${last.orders} orders, ${money(last.amount)}, ` +
                  `${last.duplicates} dup, ${last.invalid} invalid, ${last.flushMs} ms`
                : '-',
            ],
          ],
        );
        return EXIT.ok;
      }
      default:
        throw new UsageError(`unknown stream command '${sub}'`);
    }
  });
}
