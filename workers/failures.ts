/**
 * How a family error leaves an activity: one that says no retry can help (`retriable: false`) fails the activity
 * for good, as a non-retryable ApplicationFailure whose type is the error's class name; any other error is left
 * to the workflow's retry policy. The one place the activities' errors meet Temporal's retry.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { SalesflowError } from '../src/errors';

/** The failure Temporal sees for an error an activity threw. */
export function activityFailure(e: unknown): unknown {
  if (!(e instanceof SalesflowError) || e.retriable) return e;
  return ApplicationFailure.create({
    message: e.message,
    type: e.name,
    nonRetryable: true,
    cause: e.cause instanceof Error ? e.cause : undefined,
  });
}

class FinalFailures implements ActivityInboundCallsInterceptor {
  async execute(...[input, next]: Parameters<NonNullable<ActivityInboundCallsInterceptor['execute']>>) {
    try {
      return await next(input);
    } catch (e) {
      throw activityFailure(e);
    }
  }
}

export const failureInterceptors: ActivityInterceptorsFactory = () => ({ inbound: new FinalFailures() });
