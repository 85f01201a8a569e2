/**
 * The stream workflow as the dashboard sees it: one Temporal connection, made lazily and re-made after a failure,
 * asked for the workflow's description and its `status` query under short deadlines. Never throws: an unreachable
 * Temporal, a missing workflow or one no worker answers are states the health panel shows.
 */
import { Client, type Connection } from '@temporalio/client';
import type { Config } from '../../src/config';
import type { StreamHealth } from './api';

export type { StreamHealth };

import { statusQuery } from '../../src/contract';
import { EXIT, SalesflowError } from '../../src/errors';
import { streamWorkflowId } from '../../src/ids';
import { connectTemporal, diagnoseTemporal, temporalFailure } from '../../src/io/temporal';
import { isWorkflowNotFound } from '../ops/temporal';

const CONNECT_MS = 2000;
const DESCRIBE_MS = 2000;
const QUERY_MS = 1500;

export interface StreamProbe {
  /** The stream's health now; concurrent callers share one round trip. */
  read(): Promise<StreamHealth>;
  /** Waits for a round trip in flight, then closes the connection. */
  close(): Promise<void>;
}

export function streamProbe(config: Config): StreamProbe {
  const workflowId = streamWorkflowId(config);
  const empty = { workflowId, phase: null, windowsDone: null, lagRecords: null };
  let connecting: Promise<{ client: Client; connection: Connection }> | null = null;
  let inFlight: Promise<StreamHealth> | null = null;
  let closed = false;

  const connect = () => {
    connecting ??= (async () => {
      // No retry interceptor: a dashboard wants a quick answer (the page asks again at the next window), and a
      // retry timer left behind could fire on a connection already closed.
      const connection = await connectTemporal(config, { connectTimeout: CONNECT_MS, interceptors: [] });
      return { client: new Client({ connection, namespace: config.temporalNamespace }), connection };
    })().catch((e) => {
      connecting = null;
      throw e;
    });
    return connecting;
  };

  async function ask(): Promise<StreamHealth> {
    let client: Client;
    try {
      ({ client } = await connect());
    } catch (e) {
      return { ...empty, status: 'unreachable', detail: (e as Error).message };
    }
    const handle = client.workflow.getHandle(workflowId);
    let running: boolean;
    try {
      const d = await client.withDeadline(Date.now() + DESCRIBE_MS, () => handle.describe());
      running = d.status.name === 'RUNNING';
      if (!running) return { ...empty, status: d.status.name.toLowerCase().replace(/_/g, ' ') };
    } catch (e) {
      if (isWorkflowNotFound(e))
        return { ...empty, status: 'not found', detail: 'start it: npx salesflow stream start' };
      const failure = temporalFailure(config, e);
      if (failure instanceof SalesflowError && failure.exitCode === EXIT.unreachable) {
        // Drop the connection: the next call reconnects (Temporal may have restarted).
        const old = connecting;
        connecting = null;
        void old?.then((c) => c.connection.close()).catch(() => undefined);
        return { ...empty, status: 'unreachable', detail: failure.message };
      }
      return { ...empty, status: 'unknown', detail: (e as Error).message };
    }
    try {
      const s = await client.withDeadline(Date.now() + QUERY_MS, () => handle.query(statusQuery));
      const health: StreamHealth = {
        workflowId,
        status: s.stopping ? 'stopping' : s.paused ? 'paused' : s.degraded ? 'degraded' : 'running',
        phase: s.phase,
        windowsDone: s.windowsDone,
        lagRecords: s.lagRecords,
      };
      if (s.degraded) {
        health.detail = `window ${new Date(s.degraded.windowStartMs).toISOString()} failing: ${s.degraded.error}`;
        health.degradedSince = new Date(s.degraded.sinceMs).toISOString();
      }
      return health;
    } catch (e) {
      // A running workflow answers queries only through a worker polling its task queue.
      if (diagnoseTemporal(e).fault === 'timeout')
        return {
          ...empty,
          status: 'no worker',
          detail: `running, but no worker answers on task queue ${config.taskQueue}: npx salesflow worker`,
        };
      return { ...empty, status: 'unknown', detail: (e as Error).message };
    }
  }

  return {
    read() {
      if (closed) return Promise.resolve({ ...empty, status: 'unknown', detail: 'dashboard closing' });
      inFlight ??= ask().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
    async close() {
      closed = true;
      await inFlight?.catch(() => undefined);
      const c = await connecting?.catch(() => null);
      await c?.connection.close().catch(() => undefined);
    },
  };
}
