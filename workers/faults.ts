/**
 * The faults a worker's environment asks for (testing aids, off by default): SALESFLOW_FAULT_PAUSE_BEFORE_COMMIT_MS
 * holds every flush part for that long between its raw orders and its MySQL commit, so the crash tests can kill
 * the worker there (they see the flush's `before-commit` heartbeat).
 */
import type { ActivityFaults } from '../activities/deps';
import type { Config } from '../src/config';

export function faultsFrom(config: Config): ActivityFaults | undefined {
  const pauseMs = config.faultPauseBeforeCommitMs;
  if (pauseMs <= 0) return undefined;
  return { beforeCommit: () => new Promise<void>((resolve) => setTimeout(resolve, pauseMs)) };
}
