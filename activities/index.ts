/** Every activity the worker registers, bound to one set of shared clients. Side effects only. */
import { backfillActivities } from './backfill';
import type { ActivityDeps } from './deps';
import { replayActivities } from './replay';
import { retentionActivities } from './retention';
import { streamActivities } from './stream';

export type { ActivityDeps };

export const createActivities = (deps: ActivityDeps) => ({
  ...replayActivities(deps),
  ...streamActivities(deps),
  ...backfillActivities(deps),
  ...retentionActivities(deps),
});

/** The activities as the workflows see them (through proxyActivities). */
export type Activities = ReturnType<typeof createActivities>;
