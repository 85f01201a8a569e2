/**
 * Temporal: the real dev server (`temporal server start-dev`) with a SQLite file under the state folder, so
 * workflows survive a server restart. Uses a `temporal` on PATH if there is one; otherwise builds the CLI once
 * with `go install` into the cache.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Config } from '../../src/config';
import { splitHostPort } from '../../src/config';
import { kindAttribute, sourceAttribute } from '../../src/contract';
import { temporalConnectionOptions } from '../../src/io/security';
import { runOk, which } from './proc';
import type { ManagedService, Probe, StackContext } from './service';

const CLI_VERSION = 'v1.5.1';

/** Custom search attributes the workflows set, so operators can filter in the Temporal UI. */
export const SEARCH_ATTRIBUTES = {
  [kindAttribute.name]: 'Keyword',
  [sourceAttribute.name]: 'Keyword',
} as const;

export async function temporalBinary(ctx: StackContext): Promise<string> {
  const cached = path.join(ctx.cacheDir, 'bin', 'temporal');
  if (fs.existsSync(cached)) return cached;
  const onPath = await which('temporal');
  if (onPath) return onPath;
  return cached;
}

export const temporalService: ManagedService = {
  name: 'temporal',
  address: (config) => config.temporalAddress,

  async probe(config: Config): Promise<Probe> {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: 2000 });
      const conn = connection;
      const info = await conn.withDeadline(Date.now() + 3000, async () => {
        await conn.workflowService.describeNamespace({ namespace: config.temporalNamespace });
        return conn.workflowService.getSystemInfo({});
      });
      return { up: true, version: info.serverVersion ?? undefined };
    } catch (e) {
      return { up: false, detail: (e as Error).message };
    } finally {
      await connection?.close().catch(() => undefined);
    }
  },

  async install(ctx) {
    const bin = await temporalBinary(ctx);
    if (!fs.existsSync(bin)) {
      ctx.log(
        `temporal: building the Temporal CLI ${CLI_VERSION} with go install (first run only, a few minutes)`,
      );
      const gopath = path.join(ctx.cacheDir, 'go');
      await runOk('go', ['install', `github.com/temporalio/cli/cmd/temporal@${CLI_VERSION}`], {
        env: {
          ...process.env,
          GOBIN: path.dirname(bin),
          GOPATH: gopath,
          GOMODCACHE: path.join(gopath, 'pkg', 'mod'),
          GOFLAGS: '-modcacherw',
        },
      });
    }
    fs.mkdirSync(path.join(ctx.stateDir, 'temporal'), { recursive: true });
  },

  async startSpec(ctx) {
    const { host, port } = splitHostPort(ctx.config.temporalAddress);
    const args = [
      'server',
      'start-dev',
      '--ip',
      host,
      '--port',
      String(port),
      '--ui-port',
      String(ctx.config.temporalUiPort),
      '--db-filename',
      path.join(ctx.stateDir, 'temporal', 'temporal.db'),
      '--namespace',
      ctx.config.temporalNamespace,
      '--log-level',
      'warn',
    ];
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES))
      args.push('--search-attribute', `${name}=${type}`);
    return { command: await temporalBinary(ctx), args };
  },
};
