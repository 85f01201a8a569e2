/**
 * docker-compose.yml stays valid without Docker (`docker compose config` is not available here): its shape is
 * checked here. Every service runs something, publishes on 127.0.0.1 only, names volumes that are declared, the
 * salesflow processes point at the compose services by name, the worker can be scaled, and Temporal is started
 * with exactly the search attributes the code uses.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, REPO_ROOT, splitHostPort } from '../../src/config';
import { kindAttribute, sourceAttribute } from '../../src/contract';
import { SEARCH_ATTRIBUTES } from '../../tools/stack/temporal';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string | number>;
  depends_on?: string[] | Record<string, { condition: string }>;
  container_name?: string;
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
const services = Object.entries(compose.services);
const SALESFLOW = ['migrate', 'worker', 'dashboard'];
const dependencies = (s: Service) =>
  Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
// Only services that have ports, volumes or dependencies get those checks: a check over an empty list asserts
// nothing. Which services these are is itself checked below, so a service that drops its list is noticed.
const publishing = services.filter(([, s]) => (s.ports ?? []).length > 0);
const mounting = services.filter(([, s]) => (s.volumes ?? []).length > 0);
const depending = services.filter(([, s]) => dependencies(s).length > 0);
const names = (list: [string, Service][]) => list.map(([name]) => name);

/**
 * The Compose Specification's own JSON schema (schema/compose-spec.json of the compose-spec/compose-spec
 * repository, Apache-2.0, copied as is): what `docker compose config` checks first. Its `$schema` names the
 * draft-07 meta-schema by an https address Ajv does not know, hence validateSchema: false.
 */
const composeSchema = new Ajv({ strict: false, allErrors: true, validateSchema: false }).compile(
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/compose-spec.json'), 'utf8')),
);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification', () => {
    const valid = composeSchema(compose);
    expect(composeSchema.errors ?? [], JSON.stringify(composeSchema.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check catches a broken file', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services.worker.depends_on = { migrate: { condition: 'when-ready' } };
    broken.services.kafka.portz = ['9092:9092'];
    expect(composeSchema(broken)).toBe(false);
    const paths = (composeSchema.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain('/services/kafka');
    expect(paths).toContain('/services/worker/depends_on/migrate/condition');
  });

  it('has the four services and salesflow’s own processes', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['cassandra', 'dashboard', 'kafka', 'migrate', 'mysql', 'temporal', 'worker'].sort(),
    );
  });

  it.each(services)('%s has an image or a build', (_name, s) => {
    expect(Boolean(s.image || s.build)).toBe(true);
  });

  it('the salesflow image is built once and shared', () => {
    const built = services.filter(([, s]) => s.build);
    expect(built.map(([n]) => n)).toEqual(['migrate']);
    expect(fs.existsSync(path.join(REPO_ROOT, 'Dockerfile'))).toBe(true);
    for (const name of SALESFLOW) expect(compose.services[name].image).toBe(compose.services.migrate.image);
  });

  it('the services that publish ports, mount volumes and wait for others are the ones expected', () => {
    expect(names(publishing)).toEqual(['temporal', 'kafka', 'mysql', 'cassandra', 'dashboard']);
    expect(names(mounting)).toEqual(['temporal', 'kafka', 'mysql', 'cassandra']);
    expect(names(depending)).toEqual(['migrate', 'worker', 'dashboard']);
  });

  it.each(publishing)('%s publishes ports on 127.0.0.1 only', (_name, s) => {
    expect(s.ports?.filter((port) => !/^127\.0\.0\.1:\d+:\d+$/.test(port))).toEqual([]);
  });

  it.each(mounting)('%s uses declared named volumes and files that exist', (_name, s) => {
    const declared = Object.keys(compose.volumes ?? {});
    const missing = (s.volumes ?? []).filter((volume) => {
      const source = volume.split(':')[0];
      const isPath = source.startsWith('.') || source.startsWith('/');
      return isPath ? !fs.existsSync(path.resolve(REPO_ROOT, source)) : !declared.includes(source);
    });
    expect(missing).toEqual([]);
  });

  it.each(depending)('%s depends only on services that exist', (_name, s) => {
    expect(dependencies(s).filter((d) => !(d in compose.services))).toEqual([]);
  });

  it('the worker can be scaled: no published port, no fixed container name, restarts until the services answer', () => {
    const worker = compose.services.worker;
    expect(worker.ports).toBeUndefined();
    expect(worker.container_name).toBeUndefined();
    expect(worker.restart).toBe('on-failure');
    expect(worker.command).toEqual(['node', 'bin/salesflow.js', 'worker']);
  });

  it.each(SALESFLOW)('%s points at the compose services by name, with a valid config', (name) => {
    const env = Object.fromEntries(
      Object.entries(compose.services[name].environment ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const config = loadConfig(env);
    const host = (address: string) => splitHostPort(address).host;
    expect(host(config.temporalAddress)).toBe('temporal');
    expect(config.kafkaBrokers.map(host)).toEqual(['kafka']);
    expect(new URL(config.mysqlUrl).hostname).toBe('mysql');
    expect(config.cassandraContactPoints.map(host)).toEqual(['cassandra']);
    // The ports are ones the services listen on inside the network.
    expect(splitHostPort(config.temporalAddress).port).toBe(7233);
    const kafkaListeners = String(compose.services.kafka.environment?.KAFKA_ADVERTISED_LISTENERS);
    expect(kafkaListeners).toContain(`//${config.kafkaBrokers[0]}`);
    expect(new URL(config.mysqlUrl).port || '3306').toBe('3306');
    expect(splitHostPort(config.cassandraContactPoints[0]).port).toBe(9042);
    // The database the MySQL container creates and the user it is given.
    expect(config.mysqlDatabase).toBe(compose.services.mysql.environment?.MYSQL_DATABASE);
    expect(decodeURIComponent(new URL(config.mysqlUrl).username)).toBe(
      compose.services.mysql.environment?.MYSQL_USER,
    );
    expect(dependencies(compose.services[name]).length).toBeGreaterThan(0);
  });

  it('Temporal is started with exactly the search attributes the code uses', () => {
    const command = compose.services.temporal.command ?? [];
    const attributes = command.flatMap((arg, i) => (command[i - 1] === '--search-attribute' ? [arg] : []));
    // The SDK's type names as Temporal's CLI spells them.
    const cliType: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int', BOOL: 'Bool' };
    const expected = [kindAttribute, sourceAttribute].map((k) => `${k.name}=${cliType[k.type]}`);
    expect(attributes.sort()).toEqual(expected.sort());
    // And the same as the local stack's (`salesflow stack up`).
    expect(attributes.sort()).toEqual(
      Object.entries(SEARCH_ATTRIBUTES)
        .map(([n, t]) => `${n}=${t}`)
        .sort(),
    );
  });
});
