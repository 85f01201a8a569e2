/**
 * What the stack manager needs from each service it can install, start, probe and stop.
 * Each service lives in its own module (temporal.ts, kafka.ts, mysql.ts, cassandra.ts).
 */
import type { Config } from '../../src/config';

export type ServiceName = 'temporal' | 'kafka' | 'mysql' | 'cassandra';

export interface StackContext {
  config: Config;
  /** Downloads and builds, shared by every clone: $HOME/.cache/salesflow by default. */
  cacheDir: string;
  /** This clone's data, logs and pidfiles: <repo>/.stack by default (git-ignored). */
  stateDir: string;
  /** Progress lines for the user (first-run installs). */
  log: (message: string) => void;
}

export interface Probe {
  up: boolean;
  version?: string;
  detail?: string;
}

export interface StartSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface ManagedService {
  name: ServiceName;
  /** host:port the service answers on (from config). */
  address(config: Config): string;
  /** A real health check against the address: Temporal namespace describe, Kafka metadata, SQL ping, CQL query. */
  probe(config: Config): Promise<Probe>;
  /** Idempotent: fetch/build into ctx.cacheDir once, prepare data dirs under ctx.stateDir once. */
  install(ctx: StackContext): Promise<void>;
  /** The long-running process to start (the manager spawns it detached, logs to <state>/logs/<name>.log). */
  startSpec(ctx: StackContext): Promise<StartSpec>;
  /** Optional one-time setup once the process runs (e.g. creating the application's database user). */
  afterStart?(ctx: StackContext): Promise<void>;
  /** Optional graceful stop before the manager's SIGTERM/SIGKILL of the process group. */
  stop?(ctx: StackContext, pid: number): Promise<void>;
}
