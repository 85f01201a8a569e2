/**
 * A Temporal test environment for workflow tests with fake activities: no Kafka, MySQL or Cassandra, only
 * Temporal's time-skipping test server (from Maven Central, cached; see src/stack/test-server.ts), gone at
 * teardown. Timers take no wall-clock time: `env.sleep('1 minute')` runs a minute of windows at once.
 */
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { ensureTestServer } from '../../src/stack/test-server';

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
