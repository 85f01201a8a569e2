/** Runs `salesflow` (and Temporal's own CLI) as child processes, asynchronously: tests that host a worker in
 * their own process must never block its event loop with spawnSync. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../src/config';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const salesflow = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [path.join(REPO_ROOT, 'bin/salesflow.js'), ...args], env);

/** The `temporal` CLI the stack uses: one on PATH, else the one `stack up` built into the cache. */
export function temporalCli(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'temporal');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return path.join(loadConfig().cacheDir, 'bin', 'temporal');
}
