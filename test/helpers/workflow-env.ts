/**
 * A Temporal test environment for workflow tests with fake activities: no Kafka, MySQL or Cassandra, only
 * Temporal's time-skipping test server (from Maven Central, cached; see tools/stack/test-server.ts), gone at
 * teardown. Timers take no wall-clock time: `env.sleep('1 minute')` runs a minute of windows at once.
 */
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import type { Activities } from '../../activities';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { ensureTestServer } from '../../tools/stack/test-server';

let runtime = false;

export async function createWorkflowEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtime) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtime = true;
  }
  const config = loadConfig();
  const script = await ensureTestServer({
    config,
    cacheDir: config.cacheDir,
    stateDir: config.stateDir,
    log: (m) => console.error(m),
  });
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: script } },
  });
}

let queue = 0;
let bundle: Promise<WorkflowBundle> | undefined;

/** A worker for the real workflows with the given fake activities, on a task queue of its own. */
export async function fakeWorker(env: TestWorkflowEnvironment, activities: Partial<Activities>) {
  const taskQueue = `fake-${process.pid}-${++queue}`;
  bundle ??= bundleWorkflowCode({
    workflowsPath: path.join(REPO_ROOT, 'workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await bundle,
    activities,
    // Cancellation reaches an activity with its next heartbeat: send them promptly.
    maxHeartbeatThrottleInterval: '100 ms',
  });
  return { worker, taskQueue };
}

/**
 * For a test file: a time-skipping environment and a running worker with these fake activities, made before the
 * tests and torn down after them. Read `env` and `taskQueue` inside the tests.
 */
export function useFakeWorker(activities: Partial<Activities>) {
  const ctx = { env: undefined as unknown as TestWorkflowEnvironment, taskQueue: '' };
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    ctx.env = await createWorkflowEnv();
    ({ worker, taskQueue: ctx.taskQueue } = await fakeWorker(ctx.env, activities));
    running = worker.run();
  }, 300_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await ctx.env?.teardown();
  });
  return ctx;
}
