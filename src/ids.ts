/** Stable workflow IDs: a second trigger of the same thing finds the running one instead of starting a twin. */
import type { Config } from './config';

/** One long-running stream per topic and consumer name; also the `stream_id` column in MySQL. */
export const streamWorkflowId = (config: Pick<Config, 'ordersTopic' | 'consumerName'>) =>
  `salesflow-stream-${config.ordersTopic}-${config.consumerName}`;

/** One replay per topic at a time. */
export const replayWorkflowId = (config: Pick<Config, 'ordersTopic'>) =>
  `salesflow-replay-${config.ordersTopic}`;

/** One backfill per date range. */
export const backfillWorkflowId = (from: string, to: string) => `salesflow-backfill-${from}-${to}`;

export const reconcileWorkflowId = (config: Pick<Config, 'ordersTopic' | 'consumerName'>) =>
  `salesflow-reconcile-${config.ordersTopic}-${config.consumerName}`;
