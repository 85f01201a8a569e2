/**
 * A real pipeline for a test file: an isolated environment (helpers/env), a worker in this process, a Temporal
 * client, the default customers loaded and (unless asked not to) the stream started. `replay` publishes a CSV at
 * max rate and waits until every order is counted; `close` undoes it all.
 */
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { loadCustomers } from '../../app/ops/data';
import { replayInput, startReplay } from '../../app/ops/replay';
import { startStreamWorkflow, waitCounted } from '../../app/ops/stream';
import { connectClient } from '../../app/ops/temporal';
import { REPO_ROOT } from '../../src/config';
import type { PublishOrdersResult } from '../../src/contract';
import { streamWorkflowId } from '../../src/ids';
import { type RunningWorker, startWorker } from '../../workers/worker';
import { createTestEnv, type TestEnv } from './env';

export const ORDERS_CSV = path.join(REPO_ROOT, 'data/orders.csv');
export const CUSTOMERS_CSV = path.join(REPO_ROOT, 'data/customers.csv');

export interface Pipeline {
  t: TestEnv;
  worker: RunningWorker;
  client: Client;
  /** Publishes `file` at max rate, then waits until the stream has counted everything in the topic. */
  replay(file: string): Promise<PublishOrdersResult>;
  close(): Promise<void>;
}

export async function startPipeline(
  prefix: string,
  opts: { env?: Record<string, string>; customers?: string; stream?: boolean } = {},
): Promise<Pipeline> {
  const t = await createTestEnv(prefix, opts.env);
  const worker = await startWorker(t.config, { handleSignals: false });
  const { client, close: closeClient } = await connectClient(t.config);
  const loaded = await loadCustomers(t.config, opts.customers ?? CUSTOMERS_CSV);
  if (loaded.bad.length) throw new Error(`bad customer rows: ${loaded.bad.join('; ')}`);
  if (opts.stream !== false) await startStreamWorkflow(client, t.config);
  return {
    t,
    worker,
    client,
    async replay(file) {
      const { handle } = await startReplay(
        client,
        t.config,
        await replayInput(t.config, { file, max: true }),
      );
      const result = (await handle.result()) as PublishOrdersResult;
      await waitCounted(t.config, { timeoutMs: 120_000 });
      return result;
    },
    async close() {
      await client.workflow
        .getHandle(streamWorkflowId(t.config))
        .terminate('test done')
        .catch(() => undefined);
      worker.worker.shutdown();
      await worker.done;
      await closeClient();
      await t.cleanup();
    },
  };
}

/**
 * For a test file: a pipeline started before the tests and closed after them (see startPipeline). Read `t`,
 * `client` and `pipeline` inside the tests.
 */
export function usePipeline(
  prefix: string,
  opts: Parameters<typeof startPipeline>[1] = {},
  setup: (p: Pipeline) => Promise<void> = async () => undefined,
) {
  const ctx = {
    pipeline: undefined as unknown as Pipeline,
    t: undefined as unknown as TestEnv,
    client: undefined as unknown as Client,
  };
  beforeAll(async () => {
    ctx.pipeline = await startPipeline(prefix, opts);
    ctx.t = ctx.pipeline.t;
    ctx.client = ctx.pipeline.client;
    await setup(ctx.pipeline);
  });
  afterAll(async () => {
    await ctx.pipeline?.close();
  });
  return ctx;
}
