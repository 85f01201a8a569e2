/**
 * The family and the places that ask it: a guarded client wraps a driver's errors once, on the way out; the CLI's
 * exit code, the dashboard's HTTP status, the flush's re-plan and Temporal's retry all read the same fields.
 */
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  WorkflowFailedError,
} from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { httpStatusOf } from '../../app/dashboard/server';
import { BadRequest } from '../../app/dashboard/validate';
import { workflowFailure } from '../../app/ops/temporal';
import { ConfigError, loadConfig } from '../../src/config';
import { CsvFormatError } from '../../src/core/csv';
import {
  AlreadyRunningError,
  EXIT,
  NotFoundError,
  SalesflowError,
  UnreachableError,
  UsageError,
} from '../../src/errors';
import { DriverError, SinkRejectedError } from '../../src/io/driver-errors';
import { guarded, wrapOf } from '../../src/io/guard';
import { isPartRetry } from '../../src/io/store/stream';
import { activityFailure } from '../../workers/failures';

describe('the family', () => {
  it.each<[SalesflowError, string, number, boolean]>([
    [new SalesflowError('x'), 'SalesflowError', EXIT.failure, false],
    [new UsageError('x'), 'UsageError', EXIT.usage, false],
    [new NotFoundError('x'), 'NotFoundError', EXIT.notFound, false],
    [new AlreadyRunningError('x'), 'AlreadyRunningError', EXIT.alreadyRunning, false],
    [new UnreachableError('x'), 'UnreachableError', EXIT.unreachable, true],
    [new UnreachableError('x', { retriable: false }), 'UnreachableError', EXIT.unreachable, false],
    [new ConfigError('WINDOW_SECONDS', 'an integer', 'often'), 'ConfigError', EXIT.usage, false],
    [new CsvFormatError('x'), 'CsvFormatError', EXIT.failure, false],
    [new BadRequest('x'), 'BadRequest', EXIT.usage, false],
    [new SinkRejectedError('mysql', 'x'), 'SinkRejectedError', EXIT.failure, false],
  ])('%s: its name, exit code and retriable', (e, name, exitCode, retriable) => {
    expect(e).toBeInstanceOf(SalesflowError);
    expect(e.name).toBe(name);
    expect(e.exitCode).toBe(exitCode);
    expect(e.retriable).toBe(retriable);
  });

  it('keeps its cause', () => {
    const driver = new Error('connect ECONNREFUSED');
    expect(new UnreachableError('MySQL refused', { cause: driver }).cause).toBe(driver);
  });
});

describe('a guarded client', () => {
  const wrap = (e: unknown) =>
    new DriverError('mysql', `wrapped: ${(e as Error).message}`, { retriable: true }, e);
  const secret = Symbol('internal');
  class Driver {
    readonly [secret] = () => 'internals';
    calls = 0;
    async query(n: number) {
      this.calls++;
      if (n < 0) throw new Error('negative');
      return n * 2;
    }
    sync(fail: boolean) {
      if (fail) throw new Error('sync');
      return this;
    }
    async connection() {
      return { query: async () => Promise.reject(new Error('from a connection')) };
    }
  }

  it('returns what the driver returns, with the driver as `this`', async () => {
    const driver = new Driver();
    const client = guarded(driver, wrap);
    expect(await client.query(2)).toBe(4);
    expect(driver.calls).toBe(1);
    expect(client.sync(false)).toBe(driver);
    expect(client).toBeInstanceOf(Driver);
    expect(client[secret]()).toBe('internals');
  });

  it('rejects and throws with the wrapped error, whose cause is the driver’s', async () => {
    const client = guarded(new Driver(), wrap);
    const rejected = await client.query(-1).catch((e) => e);
    expect(rejected).toBeInstanceOf(DriverError);
    expect(rejected.message).toBe('wrapped: negative');
    expect(rejected.cause.message).toBe('negative');
    expect(() => client.sync(true)).toThrow('wrapped: sync');
    expect(wrapOf(client)).toBe(wrap);
  });

  it('guards what the named methods return', async () => {
    const nested = guarded(new Driver(), wrap, ['connection']);
    await expect((await nested.connection()).query()).rejects.toThrow('wrapped: from a connection');
    const plain = guarded(new Driver(), wrap);
    await expect((await plain.connection()).query()).rejects.toThrow(/^from a connection$/);
  });
});

describe('everyone asks the same question', () => {
  const unreachable = new UnreachableError('MySQL at h:1 (MYSQL_URL) refused the connection', {
    service: 'mysql',
  });
  const missingTable = new DriverError('mysql', "Table 'x' doesn't exist", { retriable: false, errno: 1146 });

  it('the dashboard: a bad parameter 400, MySQL unreachable 503, anything else 500', () => {
    expect(httpStatusOf(new BadRequest('limit must be an integer'))).toBe(400);
    expect(httpStatusOf(unreachable)).toBe(503);
    expect(httpStatusOf(missingTable)).toBe(500);
    expect(httpStatusOf(new Error('a bug'))).toBe(500);
  });

  it('Temporal: a non-retriable error fails its activity for good, under its class name', () => {
    const failure = activityFailure(new SinkRejectedError('mysql', 'Out of range value'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      nonRetryable: true,
      type: 'SinkRejectedError',
      message: 'mysql: Out of range value',
    });
    expect(activityFailure(unreachable)).toBe(unreachable);
    const plain = new Error('a bug');
    expect(activityFailure(plain)).toBe(plain);
  });

  it('the flush: a lost race on a lock or an order ID is planned again', () => {
    const mysql = (errno: number, retriable: boolean) => new DriverError('mysql', 'x', { retriable, errno });
    expect(isPartRetry(mysql(1213, true))).toBe(true); // deadlock
    expect(isPartRetry(mysql(1205, true))).toBe(true); // lock wait timeout
    expect(isPartRetry(mysql(1062, false))).toBe(true); // duplicate order ID
    expect(isPartRetry(missingTable)).toBe(false);
    expect(isPartRetry(unreachable)).toBe(false);
    expect(isPartRetry(Object.assign(new Error('raw'), { errno: 1213 }))).toBe(false);
  });

  it('the CLI: a failed workflow says its innermost reason', () => {
    const failed = (cause: Error) =>
      new WorkflowFailedError('Workflow execution failed', cause, 'NON_RETRYABLE_FAILURE');
    const activity = ApplicationFailure.create({
      message: 'activity failed',
      cause: new Error('orders file not found: /x.csv'),
    });
    const reason = workflowFailure(failed(activity)) as SalesflowError;
    expect(reason).toBeInstanceOf(SalesflowError);
    expect(reason.message).toBe('the workflow failed: orders file not found: /x.csv');
    expect(reason.exitCode).toBe(EXIT.failure);
    expect((workflowFailure(failed(new CancelledFailure('x'))) as Error).message).toBe(
      'the workflow was cancelled',
    );
    expect((workflowFailure(failed(new TerminatedFailure('by hand'))) as Error).message).toBe(
      'the workflow was terminated: by hand',
    );
    expect(workflowFailure(unreachable)).toBe(unreachable);
  });

  it('config errors are usage errors', () => {
    let error: unknown;
    try {
      loadConfig({ WINDOW_SECONDS: 'often' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SalesflowError);
    expect((error as SalesflowError).exitCode).toBe(EXIT.usage);
  });
});
