/**
 * The consumer processes a bench run measures: a `salesflow worker`, or the plain loop (plain-loop.ts), each its
 * own process started with SALESFLOW_PROFILE=1. Their profile lines are summed (where the flush's time went),
 * other lines can be awaited (`worker: polling`, the loop's timestamps), stderr passes through.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { loadConfig, REPO_ROOT } from '../../src/config';
import { addStageMs, emptyStageMs, parseProfileLine } from '../../src/core/profile';
import { type ProfileSummary, summarizeProfile } from './cpu-profile';
import { onInterrupt } from './interrupt';
import { processCpuSeconds, processPeakRssMb } from './meter';

/** Set by `bench --cpu-prof`: every consumer process then writes a V8 CPU profile into this folder at exit. */
let cpuProfileDir: string | undefined;
export function profileConsumers(dir: string | undefined): void {
  cpuProfileDir = dir;
}

export class ConsumerProcess {
  readonly child: ChildProcess;
  readonly stageMs = emptyStageMs();
  readonly windows = new Set<number>();
  commits = 0;
  private readonly lineWaiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  private readonly exited: Promise<unknown>;

  constructor(args: string[], env: Record<string, string>) {
    const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
    this.child = spawn(process.execPath, [...profile, ...args], {
      env: { ...process.env, ...env, SALESFLOW_PROFILE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((r) => this.child.once('exit', r));
    // A bench stopped mid-run stops its consumers first (interrupt.ts); once exited, there is nothing to undo.
    const withdraw = onInterrupt(`consumer process ${this.child.pid}`, () => this.stop());
    void this.exited.then(withdraw);
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    readline.createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.onLine(line);
      if (!line.startsWith('worker: polling')) process.stderr.write(`${line}\n`);
    });
  }

  private onLine(line: string): void {
    const profile = parseProfileLine(line);
    if (profile) {
      addStageMs(this.stageMs, profile.ms);
      this.windows.add(profile.windowStartMs);
      this.commits += 1;
      return;
    }
    for (const w of [...this.lineWaiters])
      if (w.test(line)) {
        this.lineWaiters.splice(this.lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
  }

  /** The first line from now on that passes `test` (stdout or stderr); rejects if the process exits first. */
  waitForLine(test: (line: string) => boolean): Promise<string> {
    return Promise.race([
      new Promise<string>((resolve) => this.lineWaiters.push({ test, resolve })),
      this.exited.then(() => {
        throw new Error(`the consumer process exited (${this.child.exitCode ?? this.child.signalCode})`);
      }),
    ]);
  }

  /** Resolves once a worker polls its task queue (it is then ready for the run's workflows). */
  async polling(): Promise<void> {
    await this.waitForLine((l) => l.startsWith('worker: polling'));
  }

  peakRssMb(): number {
    return processPeakRssMb(this.child.pid!);
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.child.pid!) ?? 0;
  }

  /** Where its main thread's CPU went, once it has exited (undefined without `--cpu-prof`). */
  cpuProfile(): ProfileSummary | undefined {
    if (!cpuProfileDir) return undefined;
    // node names the file CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread.
    const file = fs.readdirSync(cpuProfileDir).find((f) => f.includes(`.${this.child.pid}.0.`));
    if (!file) return undefined;
    return summarizeProfile(JSON.parse(fs.readFileSync(path.join(cpuProfileDir, file), 'utf8')));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}

/** `salesflow worker` as its own process (workers/worker.ts's startWorker runs one inside this process instead). */
export function spawnWorker(env: Record<string, string>): ConsumerProcess {
  return new ConsumerProcess([path.join(REPO_ROOT, 'bin/salesflow.js'), 'worker'], env);
}

/** The plain loop (plain-loop.ts) as its own process, replaying `ordersCsv`. */
export function spawnPlainLoop(env: Record<string, string>, ordersCsv: string): ConsumerProcess {
  // The worker's young generation (bin/salesflow.js starts `salesflow worker` with it), so the two compare.
  const semiSpace = `--max-semi-space-size=${loadConfig({ ...process.env, ...env }).workerSemiSpaceMb}`;
  return new ConsumerProcess([semiSpace, path.join(__dirname, 'plain-loop.js')], {
    ...env,
    BENCH_LOOP_FILE: ordersCsv,
  });
}
