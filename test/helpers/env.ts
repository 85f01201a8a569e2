/**
 * Isolation for integration tests on the one real stack: each test file gets its own topic, MySQL database,
 * Cassandra keyspace, task queue and consumer name (src/cli/isolated.ts), with 2-second windows.
 */
import * as fs from 'node:fs';
import { createIsolatedEnv, type IsolatedEnv } from '../../src/cli/isolated';

export type TestEnv = IsolatedEnv;

export function createTestEnv(prefix: string, extra: Record<string, string> = {}): Promise<TestEnv> {
  return createIsolatedEnv(prefix, { WINDOW_SECONDS: '2', ...extra });
}

/** The first `n` data rows of a CSV (header kept), written to `dest`. */
export function headCsv(src: string, dest: string, n: number): string {
  const lines = fs.readFileSync(src, 'utf8').split('\n');
  fs.writeFileSync(dest, `${lines.slice(0, n + 1).join('\n')}\n`);
  return dest;
}
