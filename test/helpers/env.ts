/**
 * Isolation for integration tests on the one real stack: each test file gets its own topic, MySQL database,
 * Cassandra keyspace, task queue and consumer name (app/ops/isolated.ts), with 2-second windows.
 */
import * as fs from 'node:fs';
import { createIsolatedEnv, type IsolatedEnv } from '../../app/ops/isolated';

export type TestEnv = IsolatedEnv;

export function createTestEnv(prefix: string, extra: Record<string, string> = {}): Promise<TestEnv> {
  return createIsolatedEnv(prefix, { WINDOW_SECONDS: '2', ...extra });
}

/** Data rows [from, to) of a CSV (header kept), written to `dest`. */
export function sliceCsv(src: string, dest: string, from: number, to: number): string {
  const lines = fs.readFileSync(src, 'utf8').trimEnd().split('\n');
  fs.writeFileSync(dest, `${[lines[0], ...lines.slice(1 + from, 1 + to)].join('\n')}\n`);
  return dest;
}

/** The first `n` data rows of a CSV (header kept), written to `dest`. */
export const headCsv = (src: string, dest: string, n: number) => sliceCsv(src, dest, 0, n);
