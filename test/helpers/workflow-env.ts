/**
 * A Temporal test environment for workflow tests with fake activities: no Kafka, MySQL or Cassandra, only an
 * ephemeral Temporal dev server of its own (the CLI binary `stack up` builds into the cache), gone at shutdown.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { kindAttribute, sourceAttribute } from '../../src/contract';

let runtime = false;

export async function createWorkflowEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtime) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtime = true;
  }
  const binary = path.join(loadConfig().cacheDir, 'bin', 'temporal');
  if (!fs.existsSync(binary))
    throw new Error(`no Temporal CLI at ${binary}: run npx salesflow stack up once`);
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binary },
      ip: '127.0.0.1',
      searchAttributes: [kindAttribute, sourceAttribute],
    },
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
