/**
 * What the stream's and the replay's activities need of Temporal's activity Context, as an interface: inside a
 * worker they are handed Context.current(); the benchmark's plain loop, which runs the same activity functions
 * without Temporal, hands in plainContext, so shipped code never needs @temporalio/testing.
 */
import { CancelledFailure, Context } from '@temporalio/activity';

export interface ActivityContext {
  /** What the previous attempt heartbeated last (a retried attempt resumes from it); undefined on a first one. */
  readonly info: { readonly heartbeatDetails?: unknown };
  /** Tells Temporal the activity is alive, with its progress; a cancel is delivered in reply. */
  heartbeat(details?: unknown): void;
  /** Aborted once the activity is cancelled (a pause or stop of the stream). */
  readonly cancellationSignal: AbortSignal;
  /** Resolves after `ms`, or rejects with a CancelledFailure as soon as the activity is cancelled. */
  sleep(ms: number): Promise<void>;
}

/** The running activity's own Context (only inside an activity a worker runs). */
export const temporalContext = (): ActivityContext => Context.current();

/**
 * A context for activity functions called directly, outside any worker: heartbeats go nowhere, a first attempt
 * every time, and `signal` (aborted by the caller, e.g. on SIGTERM) cancels like Temporal would.
 */
export function plainContext(signal: AbortSignal): ActivityContext {
  return {
    info: {},
    heartbeat: () => undefined,
    cancellationSignal: signal,
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        const cancelled = () => {
          clearTimeout(timer);
          reject(new CancelledFailure('cancelled'));
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', cancelled);
          resolve();
        }, ms);
        if (signal.aborted) cancelled();
        else signal.addEventListener('abort', cancelled, { once: true });
      }),
  };
}
