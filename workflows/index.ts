/** Every workflow the worker registers. Deterministic orchestration only: all I/O lives in activities/. */

export { backfill, backfillProgressQuery, reconcile } from './backfill';
export { replayOrders, replayStatusQuery } from './replay';
export { pauseSignal, resumeSignal, salesStream, statusQuery, stopSignal } from './stream';
