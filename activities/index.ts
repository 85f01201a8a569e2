/** Every activity the worker registers, bound to one set of shared clients. Side effects only. */
import { backfillActivities } from './backfill';
import { ActivityDeps } from './deps';
import { replayActivities } from './replay';
import { streamActivities } from './stream';

export { ActivityDeps };

export function createActivities(deps: ActivityDeps) {
  return {
    ...replayActivities(deps),
    ...streamActivities(deps),
    ...backfillActivities(deps),
  };
}
