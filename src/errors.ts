/**
 * The error family, as kafkajs has one: every error salesflow throws on purpose is a SalesflowError, which says
 * whether trying the same thing again can succeed (`retriable`) and how the CLI exits on it (`exitCode`), and
 * keeps what it was caused by (`cause`). The CLI, the dashboard and the activities ask those, never a message or
 * a name. Drivers' errors are wrapped into the family once, where they enter (src/io).
 */

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  alreadyRunning: 4,
  unreachable: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The services salesflow reaches. */
export type Service = 'mysql' | 'kafka' | 'cassandra' | 'temporal';

export interface SalesflowErrorOptions {
  /** Whether the same request, tried again unchanged, can succeed (default false). */
  retriable?: boolean;
  /** How the CLI exits on it (default 1, failure). */
  exitCode?: ExitCode;
  cause?: unknown;
}

export class SalesflowError extends Error {
  readonly retriable: boolean;
  readonly exitCode: ExitCode;

  constructor(message: string, opts: SalesflowErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    // The class's own name, so logs and Temporal's failure type say which one it is.
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
    this.exitCode = opts.exitCode ?? EXIT.failure;
  }
}

/** Bad flags or arguments: exit 2. */
export class UsageError extends SalesflowError {
  constructor(message: string, cause?: unknown) {
    super(message, { exitCode: EXIT.usage, cause });
  }
}

/** What the command acts on does not exist (a workflow, a log): exit 3. */
export class NotFoundError extends SalesflowError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.notFound });
  }
}

/** What the command would start runs already: exit 4. */
export class AlreadyRunningError extends SalesflowError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.alreadyRunning });
  }
}

/**
 * A service could not be reached, or refused our login or database: exit 5. Retriable unless said otherwise (a
 * refused login is not: someone has to change the password or the grants first).
 */
export class UnreachableError extends SalesflowError {
  readonly service?: Service;

  constructor(message: string, opts: { service?: Service; retriable?: boolean; cause?: unknown } = {}) {
    super(message, { exitCode: EXIT.unreachable, retriable: opts.retriable ?? true, cause: opts.cause });
    this.service = opts.service;
  }
}
