/** Temporal client helpers shared by the CLI commands: connect, start-or-report, describe. */
import {
  CancelledFailure,
  Client,
  TerminatedFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Config } from '../../src/config';
import { NotFoundError, SalesflowError } from '../../src/errors';
import { connectTemporal, temporalFailure } from '../../src/io/temporal';

export async function connectClient(config: Config): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await connectTemporal(config, { connectTimeout: 5000 });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  return { client, close: () => connection.close() };
}

/** Runs `fn` with a client; Temporal's gRPC errors (the server gone mid-command) come out as the family's. */
export async function withClient<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(config);
  try {
    return await fn(client);
  } catch (e) {
    throw temporalFailure(config, e);
  } finally {
    await close();
  }
}

/**
 * A workflow's failure as the family error that says why. Temporal wraps the reason (workflow failed ← activity
 * failed ← the error that says why), so a failed workflow reports the innermost cause, e.g. "the workflow failed:
 * orders file not found: /x.csv". Any other error is returned as it is.
 */
export function workflowFailure(e: unknown): unknown {
  if (!(e instanceof WorkflowFailedError)) return e;
  let cause = e.cause;
  while (cause?.cause instanceof Error) cause = cause.cause;
  if (!cause) return new SalesflowError(e.message, { cause: e });
  if (cause instanceof CancelledFailure)
    return new SalesflowError('the workflow was cancelled', { cause: e });
  if (cause instanceof TerminatedFailure)
    return new SalesflowError(`the workflow was terminated${cause.message ? `: ${cause.message}` : ''}`, {
      cause: e,
    });
  return new SalesflowError(`the workflow failed: ${cause.message || cause.name}`, { cause: e });
}

/** The workflow's result; its failure as the family error that says why (workflowFailure). */
export function workflowResult<R>(handle: WorkflowHandle): Promise<R> {
  return handle.result().catch((e) => {
    throw workflowFailure(e);
  });
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
    if (isWorkflowNotFound(e)) throw new NotFoundError(`no ${what} workflow (${workflowId})`);
    throw e;
  }
  return handle;
}
