/** Stable workflow IDs: a second trigger of the same thing finds the running one instead of starting a twin. */
import type { Config } from './config';

/** One long-running stream per topic and consumer name; also the `stream_id` column in MySQL. */
export const streamWorkflowId = (config: Pick<Config, 'ordersTopic' | 'consumerName'>) =>
  `salesflow-stream-${config.ordersTopic}-${config.consumerName}`;

/** One replay per topic at a time. */
export const replayWorkflowId = (config: Pick<Config, 'ordersTopic'>) =>
  `salesflow-replay-${config.ordersTopic}`;

/**
 * One backfill per MySQL database and date range: the database is what a backfill writes (sales_daily), so two
 * pipelines on one Temporal namespace (tests, benchmarks, a second shop) never see each other's backfill as a twin.
 */
export const backfillWorkflowId = (config: Pick<Config, 'mysqlDatabase'>, from: string, to: string) =>
  `salesflow-backfill-${config.mysqlDatabase}-${from}-${to}`;

export const reconcileWorkflowId = (config: Pick<Config, 'ordersTopic' | 'consumerName'>) =>
  `salesflow-reconcile-${config.ordersTopic}-${config.consumerName}`;

/**
 * One retention schedule per MySQL database: the ledger it purges (counted_orders) is the database's, whichever
 * streams write it. Also the prefix of the workflow IDs it starts.
 */
export const retentionScheduleId = (config: Pick<Config, 'mysqlDatabase'>) =>
  `salesflow-retention-${config.mysqlDatabase}`;
