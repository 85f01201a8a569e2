/** Temporal client helpers shared by the CLI commands: connect, start-or-report, describe. */
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../../src/config';
import { notFound, unreachable } from '../../src/errors';
import { unreachableMessage } from '../../src/io/reach';
import { temporalConnectionOptions } from '../../src/io/security';

export async function connectClient(config: Config): Promise<{ client: Client; close: () => Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 5000 });
  } catch (e) {
    throw unreachable(`${unreachableMessage('temporal', config, e)}: ${(e as Error).message}`);
  }
  const client = new Client({ connection, namespace: config.temporalNamespace });
  return { client, close: () => connection.close() };
}

export async function withClient<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(config);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

/**
 * A workflow that does not exist, or no longer runs (Temporal answers NotFound to terminating or signalling a
 * closed one): the one test for it, used by the CLI, reset and the dashboard alike.
 */
export function isWorkflowNotFound(e: unknown): boolean {
  return e instanceof WorkflowNotFoundError || (e as Error)?.name === 'WorkflowNotFoundError';
}

/** Terminates the workflow if it runs; nothing to do when it does not exist or has finished. */
export async function terminateIfRunning(client: Client, workflowId: string, reason: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).terminate(reason);
  } catch (e) {
    if (!isWorkflowNotFound(e)) throw e;
  }
}

/** Whether the workflow with this ID is running now. */
export async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    const d = await handle.describe();
    return d.status.name === 'RUNNING';
  } catch (e) {
    if (isWorkflowNotFound(e)) return false;
    throw e;
  }
}

/**
 * Starts a workflow unless one with the same ID is already running; returns its handle and whether it was
 * started now (false = the running one was reported instead of starting a twin).
 */
export async function startOrAttach<W extends Workflow>(
  client: Client,
  workflow: W,
  options: WorkflowStartOptions<W>,
): Promise<{ handle: WorkflowHandle<W>; started: boolean }> {
  try {
    const handle = await client.workflow.start(workflow, {
      ...options,
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    return { handle, started: true };
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle<W>(options.workflowId), started: false };
    }
    throw e;
  }
}

/** The handle of a workflow that must exist (running or not), or a not-found error for scripts. */
export async function existingHandle(
  client: Client,
  workflowId: string,
  what: string,
): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    await handle.describe();
  } catch (e) {
    if (isWorkflowNotFound(e)) throw notFound(`no ${what} workflow (${workflowId})`);
    throw e;
  }
  return handle;
}
