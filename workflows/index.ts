/**
 * Every workflow the worker registers. Deterministic orchestration only: all I/O lives in activities/. Their
 * signals, queries and types are the contract in src/contract.ts.
 */

export { backfill, reconcile } from './backfill';
export { replayOrders } from './replay';
export { purgeCounted } from './retention';
export { salesStream } from './stream';
