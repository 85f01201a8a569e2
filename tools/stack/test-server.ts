/**
 * Temporal's time-skipping test server for the workflow tests, from Maven Central: the Java SDK's TestServer
 * and its classpath, fetched once into the cache, started by a wrapper script that @temporalio/testing runs as
 * `<script> <port>` (its "existing-path" executable). Timers in a test then take no wall-clock time.
 *
 * Why the wrapper looks the way it does: the SDK gives a server 5 s to answer, so the JVM starts with C1 only,
 * the serial GC and a class-data archive (built once here: ~0.4 s instead of ~2 s on 2 busy cores); `exec` makes
 * the JVM the process the SDK kills at teardown; and a watchdog ends it if the test process dies without one.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../src/config';
import { ensureJavaAndMaven, fetchJars } from './kafka';
import { portOpen } from './proc';
import type { StackContext } from './service';

const VERSION = '1.38.0';
const MAIN = 'io.temporal.testserver.TestServer';
const JVM = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'];

/** The wrapper script's path, after installing the server into the cache if it is not there yet. */
export async function ensureTestServer(ctx: StackContext): Promise<string> {
  const home = path.join(ctx.cacheDir, `temporal-test-server-${VERSION}`);
  const lib = path.join(home, 'lib');
  const script = path.join(home, 'test-server.sh');
  const archive = path.join(home, 'classes.jsa');
  if (fs.existsSync(script) && fs.existsSync(path.join(lib, '.complete'))) return script;
  await ensureJavaAndMaven(ctx, 'temporal-test-server');
  await fetchJars(
    ctx,
    path.join(REPO_ROOT, 'stack', 'temporal-test-server', 'pom.xml'),
    lib,
    'temporal-test-server',
  );
  await buildClassArchive(lib, archive).catch((e) =>
    ctx.log(`temporal-test-server: no class-data archive (${(e as Error).message}); it starts slower`),
  );
  const q = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  fs.writeFileSync(
    `${script}.tmp`,
    `#!/bin/sh
# Temporal's time-skipping test server ${VERSION}, run as: test-server.sh <port> (written by salesflow).
OPTS="${JVM.join(' ')}"
if [ -r ${q(archive)} ]; then OPTS="$OPTS -XX:SharedArchiveFile=${archive} -Xlog:cds=off -Xlog:cds+dynamic=off"; fi
SELF=$$ PARENT=$PPID
( while kill -0 "$PARENT" 2>/dev/null && kill -0 "$SELF" 2>/dev/null; do sleep 1; done
  kill -9 "$SELF" 2>/dev/null ) </dev/null >/dev/null 2>&1 &
exec java $OPTS -cp ${q(`${lib}/*`)} ${MAIN} "$@"
`,
    { mode: 0o755 },
  );
  fs.renameSync(`${script}.tmp`, script);
  return script;
}

/** Starts the server once with -XX:ArchiveClassesAtExit and stops it normally, so the JVM dumps the archive. */
async function buildClassArchive(lib: string, archive: string): Promise<void> {
  const port = 20_000 + (process.pid % 10_000);
  const child = spawn(
    'java',
    [`-XX:ArchiveClassesAtExit=${archive}`, ...JVM, '-cp', `${lib}/*`, MAIN, String(port)],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 60_000;
    while (!(await portOpen('127.0.0.1', port, 200))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 1500)); // let it load what a test touches
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  if (!fs.existsSync(archive)) throw new Error('the JVM wrote no archive');
}
