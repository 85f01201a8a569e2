/**
 * Cassandra: Apache Cassandra 5.0 from Maven Central (cassandra-all and its runtime classpath, resolved by Maven
 * from stack/cassandra/pom.xml into the cache), CassandraDaemon on Java 17 with the JVM options Cassandra's own
 * conf/jvm17-server.options uses, a minimal cassandra.yaml, data under the state folder, CQL on 127.0.0.1:9042,
 * heap 1 GB.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'cassandra-driver';
import { type Config, REPO_ROOT, splitHostPort } from '../../src/config';
import { cassandraSecurityOptions } from '../../src/io/security';
import { fetchJars } from './kafka';
import type { ManagedService, Probe, StackContext } from './service';

export const CASSANDRA_VERSION = '5.0.7';

const libDir = (ctx: StackContext) => path.join(ctx.cacheDir, `cassandra-${CASSANDRA_VERSION}`, 'lib');
const home = (ctx: StackContext) => path.join(ctx.stateDir, 'cassandra');
const yamlFile = (ctx: StackContext) => path.join(home(ctx), 'cassandra.yaml');

/** From Cassandra 5.0's conf/jvm17-server.options: the module access its internals need on Java 17. */
const JAVA17_OPTIONS = [
  '-Djdk.attach.allowAttachSelf=true',
  '--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports=java.sql/java.sql=ALL-UNNAMED',
  '--add-exports=java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dio.netty.allocator.useCacheForAllThreads=true',
  '-Dio.netty.allocator.maxOrder=11',
];

export const cassandraService: ManagedService = {
  name: 'cassandra',
  address: (config) => config.cassandraContactPoints[0],

  async probe(config: Config): Promise<Probe> {
    const client = new Client({
      contactPoints: config.cassandraContactPoints,
      localDataCenter: config.cassandraLocalDc,
      socketOptions: { connectTimeout: 2000, readTimeout: 3000 },
      pooling: { warmup: false },
      ...cassandraSecurityOptions(config),
    });
    try {
      await client.connect();
      const rs = await client.execute('SELECT release_version FROM system.local');
      return { up: true, version: rs.first()?.get('release_version') ?? undefined };
    } catch (e) {
      return { up: false, detail: (e as Error).message.split('\n')[0] };
    } finally {
      await client.shutdown().catch(() => undefined);
    }
  },

  async install(ctx) {
    await fetchJars(ctx, path.join(REPO_ROOT, 'stack', 'cassandra', 'pom.xml'), libDir(ctx), 'cassandra');
    for (const dir of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw']) {
      fs.mkdirSync(path.join(home(ctx), dir), { recursive: true });
    }
    const { port } = splitHostPort(ctx.config.cassandraContactPoints[0]);
    const template = fs.readFileSync(path.join(REPO_ROOT, 'stack', 'cassandra', 'cassandra.yaml'), 'utf8');
    fs.writeFileSync(
      yamlFile(ctx),
      template
        .replaceAll('{{state}}', ctx.stateDir)
        .replaceAll('{{cqlPort}}', String(port))
        // The seed is the node itself: a second stack on this machine must never gossip its way into this one.
        .replaceAll('{{storagePort}}', String(ctx.config.cassandraStoragePort)),
    );
  },

  async startSpec(ctx) {
    const lib = libDir(ctx);
    const jars = fs.readdirSync(lib).filter((f) => f.endsWith('.jar'));
    const jamm = jars.find((f) => f.startsWith('jamm-'));
    return {
      command: 'java',
      args: [
        '-Xms1g',
        '-Xmx1g',
        '-Xss256k',
        '-XX:+UseG1GC',
        '-XX:+ParallelRefProcEnabled',
        '-XX:MaxTenuringThreshold=1',
        '-XX:G1HeapRegionSize=16m',
        '-XX:MaxGCPauseMillis=300',
        '-XX:+HeapDumpOnOutOfMemoryError',
        '-XX:+ExitOnOutOfMemoryError',
        `-XX:HeapDumpPath=${home(ctx)}`,
        '-XX:+PerfDisableSharedMem',
        '-Djava.net.preferIPv4Stack=true',
        ...JAVA17_OPTIONS,
        ...(jamm ? [`-javaagent:${path.join(lib, jamm)}`] : []),
        '-Dcassandra-foreground=yes',
        `-Dcassandra.config=file://${yamlFile(ctx)}`,
        `-Dcassandra.storagedir=${home(ctx)}`,
        `-Dcassandra.logdir=${path.join(ctx.stateDir, 'logs')}`,
        `-Dlogback.configurationFile=${path.join(REPO_ROOT, 'stack', 'cassandra', 'logback.xml')}`,
        // A single local node: no need to wait for gossip or a ring to settle.
        '-Dcassandra.skip_wait_for_gossip_to_settle=0',
        '-Dcassandra.ring_delay_ms=1000',
        '-cp',
        jars
          .sort()
          .map((f) => path.join(lib, f))
          .join(':'),
        'org.apache.cassandra.service.CassandraDaemon',
      ],
    };
  },
};
