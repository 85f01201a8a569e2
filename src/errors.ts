/** Exit codes scripts can rely on, and the error types that map to them. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  alreadyRunning: 4,
  unreachable: 5,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);
export const notFound = (message: string) => new CliError(message, EXIT.notFound);
export const alreadyRunning = (message: string) => new CliError(message, EXIT.alreadyRunning);
export const unreachable = (message: string) => new CliError(message, EXIT.unreachable);
