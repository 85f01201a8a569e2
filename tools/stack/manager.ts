/**
 * The stack manager behind `salesflow stack up|down|status|logs`: installs (cached), starts, health-checks and
 * stops the four services. State (data, logs, pidfiles) lives under one git-ignored folder; a service whose
 * address already answers is used as is and nothing is started for it. A service is this folder's own only when
 * the process its pid file names runs in the folder and listens on the service's port (./ownership.ts): only then
 * is it set up again or stopped, so a stack never touches a server another stack (or anyone) runs on its ports.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Config, splitHostPort } from '../../src/config';
import { UnreachableError } from '../../src/errors';
import { listensOn, startedIn } from './ownership';
import { alive, sleep } from './proc';
import type { ManagedService, Probe, ServiceName, StackContext } from './service';

export interface ServiceStatus {
  name: ServiceName;
  address: string;
  up: boolean;
  pid: number | null;
  managed: boolean;
  version: string | null;
  log: string | null;
}

/** A service the stack runs did not start or become healthy: the CLI exits 5, as for any unreachable one. */
export class StackError extends UnreachableError {
  constructor(service: ServiceName, message: string) {
    super(message, { service });
  }
}

async function loadServices(): Promise<ManagedService[]> {
  // Loaded lazily so `salesflow --help` stays fast. Order: the slowest starter first, so it boots while the
  // others install.
  const [{ cassandraService }, { mysqlService }, { kafkaService }, { temporalService }] = await Promise.all([
    import('./cassandra'),
    import('./mysql'),
    import('./kafka'),
    import('./temporal'),
  ]);
  return [cassandraService, mysqlService, kafkaService, temporalService];
}

export class StackManager {
  readonly ctx: StackContext;

  constructor(config: Config, log: (message: string) => void = (m) => console.error(m)) {
    this.ctx = { config, cacheDir: config.cacheDir, stateDir: config.stateDir, log };
  }

  pidFile = (name: ServiceName) => path.join(this.ctx.stateDir, 'run', `${name}.pid`);
  logFile = (name: ServiceName) => path.join(this.ctx.stateDir, 'logs', `${name}.log`);

  /** The pid of the process this state folder started for `name`, if that process is still running. */
  ownPid(name: ServiceName): number | null {
    try {
      const pid = Number(fs.readFileSync(this.pidFile(name), 'utf8').trim());
      return pid > 0 && alive(pid) && startedIn(pid, this.ctx.stateDir) ? pid : null;
    } catch {
      return null;
    }
  }

  /** True when `pid` (this folder's process for `service`) is what listens on the service's address. */
  private serves(service: ManagedService, pid: number): boolean {
    return listensOn(pid, splitHostPort(service.address(this.ctx.config)).port);
  }

  async status(): Promise<ServiceStatus[]> {
    const services = await loadServices();
    const probes = await Promise.all(services.map((s) => s.probe(this.ctx.config)));
    return services.map((s, i) => this.describe(s, probes[i]));
  }

  private describe(s: ManagedService, probe: Probe): ServiceStatus {
    const pid = this.ownPid(s.name);
    return {
      name: s.name,
      address: s.address(this.ctx.config),
      up: probe.up,
      pid,
      // Ours while it starts; once something answers, ours only if our process is what answers.
      managed: pid !== null && (!probe.up || this.serves(s, pid)),
      version: probe.version ?? null,
      log: pid !== null || fs.existsSync(this.logFile(s.name)) ? this.logFile(s.name) : null,
    };
  }

  /** Idempotent: installs what is missing, starts what is down, waits until every service is healthy. */
  async up(only?: ServiceName[]): Promise<ServiceStatus[]> {
    const services = (await loadServices()).filter((s) => !only || only.includes(s.name));
    secureStateDir(this.ctx.stateDir);
    const waits: Promise<ServiceStatus>[] = [];
    for (const service of services) {
      const probe = await service.probe(this.ctx.config);
      if (probe.up) {
        // A server this state folder runs gets its one-time setup again: that is how an existing install picks up
        // what changed in it (the MySQL accounts' narrowed grants). Anyone else's is used as is, never set up.
        const pid = this.ownPid(service.name);
        if (pid !== null && this.serves(service, pid)) await service.afterStart?.(this.ctx);
        else
          this.ctx.log(`${service.name}: ${service.address(this.ctx.config)} answers, not ours: used as is`);
        waits.push(Promise.resolve(this.describe(service, probe)));
        continue;
      }
      if (this.ownPid(service.name) === null) {
        const started = Date.now();
        // Whatever install and the service create (data dirs, temporal.db, Kafka logs) is the owner's only.
        const umask = process.umask(0o077);
        try {
          await service.install(this.ctx);
          const spent = Date.now() - started;
          if (spent > 2000) this.ctx.log(`${service.name}: installed in ${(spent / 1000).toFixed(0)} s`);
          await this.spawn(service);
        } finally {
          process.umask(umask);
        }
      }
      waits.push(this.waitHealthy(service));
    }
    return Promise.all(waits);
  }

  private async spawn(service: ManagedService): Promise<number> {
    const spec = await service.startSpec(this.ctx);
    const logPath = this.logFile(service.name);
    const out = fs.openSync(logPath, 'a', 0o600);
    fs.writeSync(out, `\n=== ${new Date().toISOString()} starting ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? this.ctx.stateDir,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    if (!child.pid) throw new StackError(service.name, `${service.name}: could not start ${spec.command}`);
    child.unref();
    fs.writeFileSync(this.pidFile(service.name), `${child.pid}\n`);
    this.ctx.log(`${service.name}: started (pid ${child.pid}), log ${logPath}`);
    return child.pid;
  }

  private async waitHealthy(service: ManagedService): Promise<ServiceStatus> {
    const deadline = Date.now() + this.ctx.config.stackTimeoutSeconds * 1000;
    let afterStartDone = !service.afterStart;
    let last: Probe = { up: false };
    // Another server answering on our port is not ours coming up: ours fails to bind and exits, and says why.
    let foreign = false;
    while (Date.now() < deadline) {
      const pid = this.ownPid(service.name);
      if (pid === null) {
        const why = foreign ? ` (another process answers at ${service.address(this.ctx.config)})` : '';
        throw new StackError(
          service.name,
          `${service.name} exited during start-up${why}; read ${this.logFile(service.name)}`,
        );
      }
      if (!afterStartDone) {
        await service.afterStart!(this.ctx);
        afterStartDone = true;
      }
      last = await service.probe(this.ctx.config);
      if (last.up && this.serves(service, pid)) {
        this.ctx.log(`${service.name}: healthy at ${service.address(this.ctx.config)}`);
        return this.describe(service, last);
      }
      foreign = last.up;
      if (foreign) last = { up: false, detail: `another process than pid ${pid} answers there` };
      await sleep(1000);
    }
    throw new StackError(
      service.name,
      `${service.name} did not become healthy within ${this.ctx.config.stackTimeoutSeconds} s ` +
        `(${last.detail ?? 'no answer'}); read ${this.logFile(service.name)}`,
    );
  }

  /** Stops what `up` started (by pidfile, a process running in this state folder) and nothing else. */
  async down(only?: ServiceName[]): Promise<ServiceName[]> {
    const services = (await loadServices()).filter((s) => !only || only.includes(s.name));
    const stopped: ServiceName[] = [];
    await Promise.all(
      services.map(async (service) => {
        const pid = this.ownPid(service.name);
        if (pid !== null) {
          await service.stop?.(this.ctx, pid).catch(() => undefined);
          await killGroup(pid);
          stopped.push(service.name);
          this.ctx.log(`${service.name}: stopped (pid ${pid})`);
        }
        fs.rmSync(this.pidFile(service.name), { force: true });
      }),
    );
    return stopped;
  }
}

/**
 * The state folder holds every service's data (customers' rows, raw orders, Temporal's history), their logs and
 * the MySQL root socket: readable by its owner only. Creates it 0700 and takes group/other bits off everything
 * already in it, so state made by an older version is fixed by the next `stack up`. Symlinks are left alone.
 */
export function secureStateDir(stateDir: string): void {
  for (const dir of [stateDir, path.join(stateDir, 'run'), path.join(stateDir, 'logs')])
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const walk = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0 || (st.isDirectory() && (st.mode & 0o700) !== 0o700))
      fs.chmodSync(p, st.isDirectory() ? (st.mode & 0o700) | 0o700 : st.mode & 0o700);
    if (st.isDirectory()) for (const entry of fs.readdirSync(p)) walk(path.join(p, entry));
  };
  walk(stateDir);
}

/** SIGTERM the process group, then SIGKILL it if it has not exited after 30 s. */
async function killGroup(pid: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
  if (alive(pid)) {
    signal('SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  }
}
