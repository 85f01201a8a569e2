/** Runs `salesflow` (and Temporal's own CLI) as child processes, asynchronously: tests that host a worker in
 * their own process must never block its event loop with spawnSync. */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, REPO_ROOT } from '../../src/config';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A child's stdout and stderr as they arrive. */
function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return { stdout: () => stdout, stderr: () => stderr };
}

export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    const output = collect(child);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() }));
  });
}

/** `salesflow <args>` left running: the child, and its output so far. */
export function salesflowInBackground(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/salesflow.js'), ...args], {
    env: { ...process.env, ...env },
  });
  return { child, ...collect(child) };
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
