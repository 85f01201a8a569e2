/**
 * Kafka: Apache Kafka 3.9 in KRaft mode (one node, broker + controller in one JVM) from its Maven Central
 * artifacts, resolved by Maven from stack/kafka/pom.xml into the cache, storage formatted once, started with java
 * (heap ≤ 512 MB). 3.9 rather than 4.x: Kafka 4 removed the old protocol versions kafkajs speaks.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Config, REPO_ROOT, splitHostPort } from '../../src/config';
import { createKafka } from '../../src/io/kafka';
import { aptInstall, runOk, which } from './proc';
import type { ManagedService, Probe, StackContext } from './service';

export const KAFKA_VERSION = '3.9.2';

const stackFiles = path.join(REPO_ROOT, 'stack', 'kafka');
const libDir = (ctx: StackContext) => path.join(ctx.cacheDir, `kafka-${KAFKA_VERSION}`, 'lib');
const kafkaState = (ctx: StackContext) => path.join(ctx.stateDir, 'kafka');
const dataDir = (ctx: StackContext) => path.join(kafkaState(ctx), 'data');
const propsFile = (ctx: StackContext) => path.join(kafkaState(ctx), 'server.properties');
// Kafka's own log files (server.log, controller.log, ...); the manager keeps stdout in <state>/logs/kafka.log.
const kafkaLogsDir = (ctx: StackContext) => path.join(ctx.stateDir, 'logs', 'kafka');

/** Installs a JRE and Maven from Debian's packages when missing (the same way the MySQL module gets MariaDB). */
export async function ensureJavaAndMaven(ctx: StackContext, what: string): Promise<void> {
  const missing = [
    (await which('java')) ? null : 'openjdk-17-jre-headless',
    (await which('mvn')) ? null : 'maven',
  ];
  const packages = missing.filter((p): p is string => p !== null);
  if (packages.length > 0) await aptInstall(ctx.log, what, packages);
}

/**
 * Copies a pom's runtime classpath from Maven Central into `lib`, once: a marker file written after success
 * makes later runs fetch nothing. Maven writes into a scratch folder that is renamed into place, so an
 * interrupted first run never leaves a half-filled lib folder that looks complete.
 */
export async function fetchJars(ctx: StackContext, pom: string, lib: string, what: string): Promise<void> {
  const marker = path.join(lib, '.complete');
  if (fs.existsSync(marker)) return;
  ctx.log(`${what}: fetching jars from Maven Central into ${lib} (first run only)`);
  const scratch = `${lib}.partial-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(lib), { recursive: true });
  await runOk('mvn', [
    '-q',
    '-B',
    `-Dmaven.repo.local=${path.join(ctx.cacheDir, 'm2')}`,
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${scratch}`,
    '-DincludeScope=runtime',
  ]);
  const jars = fs.readdirSync(scratch).filter((f) => f.endsWith('.jar'));
  fs.writeFileSync(path.join(scratch, '.complete'), `${new Date().toISOString()} ${jars.length} jars\n`);
  fs.rmSync(lib, { recursive: true, force: true });
  fs.renameSync(scratch, lib);
  ctx.log(`${what}: ${jars.length} jars ready`);
}

/** Fills stack/kafka/server.properties: listeners from KAFKA_BROKERS, the controller on the next port. */
function renderServerProperties(ctx: StackContext): string {
  const { host, port } = splitHostPort(kafkaService.address(ctx.config));
  const values: Record<string, string> = {
    host: host === 'localhost' ? '127.0.0.1' : host,
    port: String(port),
    controllerPort: String(port + 1),
    logDirs: dataDir(ctx),
  };
  const template = fs.readFileSync(path.join(stackFiles, 'server.properties'), 'utf8');
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`stack/kafka/server.properties: unknown placeholder {{${name}}}`);
    return values[name];
  });
}

/** A Kafka cluster id: 16 random bytes as URL-safe base64 (Kafka's Uuid), never starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The cluster id is kept in the state folder so a re-format (after wiping data) keeps the same identity. */
function clusterId(ctx: StackContext): string {
  const file = path.join(kafkaState(ctx), 'cluster-id');
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${newClusterId()}\n`);
  return fs.readFileSync(file, 'utf8').trim();
}

/** JVM flags shared by the storage tool and the broker: our classpath and log4j config, logs in the state dir. */
const jvmCommon = (ctx: StackContext) => [
  '-cp',
  path.join(libDir(ctx), '*'),
  `-Dlog4j.configuration=file:${path.join(stackFiles, 'log4j.properties')}`,
  `-Dkafka.logs.dir=${kafkaLogsDir(ctx)}`,
  '-Djava.awt.headless=true',
];

async function formatStorageOnce(ctx: StackContext): Promise<void> {
  if (fs.existsSync(path.join(dataDir(ctx), 'meta.properties'))) return;
  ctx.log('kafka: formatting KRaft storage (first run only)');
  await runOk('java', [
    '-Xmx256m',
    ...jvmCommon(ctx),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId(ctx),
    '-c',
    propsFile(ctx),
    '--ignore-formatted',
  ]);
}

export const kafkaService: ManagedService = {
  name: 'kafka',
  address: (config) => config.kafkaBrokers[0],

  /** Connects an admin client and fetches cluster metadata; a down broker answers within ~3 s, no retries. */
  async probe(config: Config): Promise<Probe> {
    const kafka = createKafka(config, {
      clientId: 'salesflow-probe',
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      retries: 0,
    });
    const admin = kafka.admin({ retry: { retries: 0 } });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 3 s')), 3000);
    });
    try {
      const cluster = await Promise.race([admin.connect().then(() => admin.describeCluster()), deadline]);
      if (cluster.brokers.length === 0) return { up: false, detail: 'no brokers in metadata' };
      return { up: true, version: KAFKA_VERSION, detail: `cluster ${cluster.clusterId}` };
    } catch (e) {
      return { up: false, detail: (e as Error).message };
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => undefined);
    }
  },

  async install(ctx) {
    await ensureJavaAndMaven(ctx, 'kafka');
    await fetchJars(ctx, path.join(stackFiles, 'pom.xml'), libDir(ctx), 'kafka');
    fs.mkdirSync(dataDir(ctx), { recursive: true });
    fs.mkdirSync(kafkaLogsDir(ctx), { recursive: true });
    // Rendered on every install so a changed template or KAFKA_BROKERS takes effect on the next start.
    fs.writeFileSync(propsFile(ctx), renderServerProperties(ctx));
    await formatStorageOnce(ctx);
  },

  async startSpec(ctx) {
    return {
      command: 'java',
      args: [
        '-Xms256m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-XX:+ExitOnOutOfMemoryError',
        ...jvmCommon(ctx),
        'kafka.Kafka',
        propsFile(ctx),
      ],
    };
  },
};
