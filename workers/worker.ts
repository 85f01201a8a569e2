/**
 * The Temporal worker: connect, create with the workflows bundle and the activities, run. Shuts down gracefully
 * on SIGINT/SIGTERM (in-flight activities finish or are retried elsewhere).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from '../src/config';
import { checkDataServices } from '../src/io/preflight';
import { temporalConnectionOptions } from '../src/io/security';
import { temporalUnreachable } from '../src/io/temporal';
import { ACTIVITY_SLOTS, ServiceClients, tuneHeap } from './clients';
import { failureInterceptors } from './failures';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has shut down and the clients are closed. */
  done: Promise<void>;
}

let runtimeInstalled = false;

/**
 * Where the workflows come from: the bundle `npm run build` made (scripts/build-workflows.js), loaded as is, when it
 * is at least as new as the compiled workflows it was made from; otherwise (running from the TypeScript sources, as
 * the tests do, or after a bare `tsc`) the workflows folder, which Worker.create bundles with webpack on the spot.
 * Bundling at start costs seconds and leaves webpack's modules and garbage in the heap for the worker's life: about
 * 90 MB of an idle worker's resident memory.
 */
export function workflowSource(
  dir = __dirname,
): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const workflowsPath = path.join(dir, '..', 'workflows');
  const codePath = path.join(dir, '..', 'workflow-bundle.js');
  try {
    const compiled = fs.statSync(path.join(workflowsPath, 'index.js')).mtimeMs;
    if (fs.statSync(codePath).mtimeMs >= compiled) return { workflowBundle: { codePath } };
  } catch {
    // no bundle (or no compiled workflows: the sources)
  }
  return { workflowsPath };
}

export async function startWorker(
  config: Config,
  opts: { handleSignals?: boolean } = {},
): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    tuneHeap(config);
    Runtime.install({
      shutdownSignals: opts.handleSignals === false ? [] : ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'],
      // Workers log warnings and errors; set SALESFLOW_LOG=INFO (or DEBUG) for Temporal's lifecycle messages.
      logger: new DefaultLogger(config.workerLogLevel),
    });
    runtimeInstalled = true;
  }
  // Reach and log in to every service before polling: a worker that cannot would take tasks only to fail them.
  const [temporal, data] = await Promise.allSettled([
    NativeConnection.connect(temporalConnectionOptions(config)).catch(async (e) => {
      throw await temporalUnreachable(config, e);
    }),
    checkDataServices(config),
  ]);
  if (temporal.status === 'rejected') throw temporal.reason;
  const connection = temporal.value;
  if (data.status === 'rejected') {
    await connection.close();
    throw data.reason;
  }
  const deps = new ServiceClients(config);
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...workflowSource(),
    activities: createActivities(deps),
    // An activity's error that no retry can fix fails it for good (workers/failures.ts).
    interceptors: { activity: [failureInterceptors] },
    maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
    // No eager activities: by default the worker that completes a workflow task keeps up to 3 of the activities
    // it schedules for itself, so a window's units (scheduled together) piled onto whichever worker ran the
    // stream's workflow task. Through the task queue they go to whichever worker polls (a millisecond more).
    maxEagerActivityReservationsPerWorkflowTask: 0,
    // A cancelled backfill learns it with its next heartbeat; the default throttle (80 % of the heartbeat
    // timeout) would leave it running for up to 24 s.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
  const done = worker.run().finally(async () => {
    await deps.close();
    await connection.close();
  });
  return { worker, done };
}
