/**
 * MySQL: MariaDB from Debian's packages (installed with apt-get when missing), with its own data dir under the
 * state folder, on 127.0.0.1:3306. If MYSQL_URL already answers, that server is used as is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as mysql from 'mysql2/promise';
import type { Config } from '../../src/config';
import { splitHostPort } from '../../src/config';
import { connectRoot, dropWildcardReadonly, grantPipeline } from '../../src/io/mysql-grants';
import { mysqlSslOptions } from '../../src/io/security';
import { aptInstall, runOk, sleep, which } from './proc';
import type { ManagedService, Probe, StackContext } from './service';

const dataDir = (ctx: StackContext) => path.join(ctx.stateDir, 'mysql', 'data');
const socketPath = (ctx: StackContext) => path.join(ctx.stateDir, 'mysql', 'mysqld.sock');

async function serverBinary(): Promise<string | undefined> {
  for (const name of ['mariadbd', 'mysqld']) {
    const found =
      (await which(name)) ?? ['/usr/sbin', '/usr/bin'].map((d) => path.join(d, name)).find(fs.existsSync);
    if (found) return found;
  }
  return undefined;
}

export const mysqlService: ManagedService = {
  name: 'mysql',
  address(config: Config) {
    return `${config.mysql.host}:${config.mysql.port}`;
  },

  async probe(config: Config): Promise<Probe> {
    let conn: mysql.Connection | undefined;
    try {
      const { host, port, user, password } = config.mysql;
      conn = await mysql.createConnection({
        host,
        port,
        user,
        password,
        connectTimeout: 2000,
        ...mysqlSslOptions(config),
      });
      const [rows] = await conn.query('SELECT VERSION() AS v');
      return { up: true, version: (rows as Array<{ v: string }>)[0].v };
    } catch (e) {
      return { up: false, detail: (e as Error).message };
    } finally {
      await conn?.end().catch(() => undefined);
    }
  },

  async install(ctx) {
    if (!(await serverBinary())) {
      await aptInstall(ctx.log, 'mysql', ['mariadb-server', 'mariadb-client']);
    }
    if (!fs.existsSync(path.join(dataDir(ctx), 'mysql'))) {
      ctx.log('mysql: initialising a data directory');
      fs.mkdirSync(dataDir(ctx), { recursive: true });
      const installDb = (await which('mariadb-install-db')) ?? (await which('mysql_install_db'));
      if (!installDb) throw new Error('mariadb-install-db not found although MariaDB is installed');
      await runOk(installDb, [
        '--no-defaults',
        `--datadir=${dataDir(ctx)}`,
        '--user=root',
        '--auth-root-authentication-method=socket',
        '--skip-test-db',
      ]);
    }
  },

  async startSpec(ctx) {
    const bin = await serverBinary();
    if (!bin) throw new Error('MariaDB server binary not found after install');
    const { host, port } = splitHostPort(mysqlService.address(ctx.config));
    return {
      command: bin,
      args: [
        '--no-defaults',
        `--datadir=${dataDir(ctx)}`,
        `--socket=${socketPath(ctx)}`,
        `--pid-file=${path.join(ctx.stateDir, 'mysql', 'mysqld.pid')}`,
        `--bind-address=${host === 'localhost' ? '127.0.0.1' : host}`,
        `--port=${port}`,
        '--user=root',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=256M',
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=200',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--skip-name-resolve',
      ],
    };
  },

  /**
   * The pipeline's account named in MYSQL_URL, with only what it needs (src/io/mysql-grants.ts); root logs in over
   * our own unix socket. Runs after the first start and on every `stack up` of a running server, which narrows
   * the broad grants of older versions.
   */
  async afterStart(ctx) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const root = await connectRoot(ctx.config, socketPath(ctx));
        try {
          await grantPipeline(root, ctx.config);
          await dropWildcardReadonly(root, ctx.config);
          return;
        } finally {
          await root.end();
        }
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(`mysql: could not set up the application user: ${(e as Error).message}`);
        await sleep(500);
      }
    }
  },
};
