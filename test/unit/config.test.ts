import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl, splitHostPort } from '../../src/config';
import { configFailure } from '../helpers/config';

const failure = configFailure;

describe('loadConfig', () => {
  it('defaults match the local stack', () => {
    const c = loadConfig({});
    expect(c.temporalAddress).toBe('127.0.0.1:7233');
    expect(c.temporalNamespace).toBe('default');
    expect(c.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(c.ordersTopic).toBe('orderstopic');
    expect(c.dlqTopic).toBe('orderstopic.dlq');
    expect(c.mysqlDatabase).toBe('sales_data');
    expect(c.cassandraContactPoints).toEqual(['127.0.0.1:9042']);
    expect(c.cassandraKeyspace).toBe('sales_ks');
    expect(c.cassandraDayBuckets).toBe(16);
    expect(c.windowSeconds).toBe(15);
    expect(c.dashboardPort).toBe(3000);
    expect(c.countedRetentionDays).toBe(7);
    expect(c.flushPartRecords).toBe(10_000);
    expect(c.workerHeapGrowingPercent).toBe(50);
    expect(c.workerSemiSpaceMb).toBe(16);
  });

  it('reads and trims values, derives the DLQ topic and the database from the URL', () => {
    const c = loadConfig({
      KAFKA_BROKERS: ' a:1, b:2 ,',
      ORDERS_TOPIC: 'shop.orders',
      MYSQL_URL: 'mysql://u:p%40ss@db.example:3307/analytics',
      WINDOW_SECONDS: ' 5 ',
      CASSANDRA_CONTACT_POINTS: '[::1]:9042',
    });
    expect(c.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(c.dlqTopic).toBe('shop.orders.dlq');
    expect(c.mysqlDatabase).toBe('analytics');
    expect(c.windowSeconds).toBe(5);
    expect(splitHostPort(c.cassandraContactPoints[0])).toEqual({ host: '::1', port: 9042 });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ WINDOW_SECONDS: '' }).windowSeconds).toBe(15);
  });

  it('profiles the flush only when SALESFLOW_PROFILE=1', () => {
    expect(loadConfig({}).profile).toBe(false);
    expect(loadConfig({ SALESFLOW_PROFILE: '0' }).profile).toBe(false);
    expect(loadConfig({ SALESFLOW_PROFILE: '1' }).profile).toBe(true);
  });

  it.each([
    ['WINDOW_SECONDS', '0', /an integer from 1 to 3600/],
    ['WINDOW_SECONDS', '1.5', /an integer/],
    ['WINDOW_SECONDS', 'fifteen', /an integer/],
    ['DASHBOARD_PORT', '70000', /an integer from 1 to 65535/],
    ['COUNTED_RETENTION_DAYS', '0', /an integer from 1 to 3650/],
    ['COUNTED_RETENTION_DAYS', '7d', /an integer/],
    ['KAFKA_PARTITIONS', '-1', /an integer/],
    ['CASSANDRA_DAY_BUCKETS', '0', /an integer from 1 to 1024/],
    ['CASSANDRA_DAY_BUCKETS', '2000', /an integer from 1 to 1024/],
    ['WORKER_HEAP_GROWING_PERCENT', '301', /an integer from 0 to 300/],
    ['WORKER_SEMI_SPACE_MB', '0', /an integer from 1 to 256/],
    ['TEMPORAL_ADDRESS', 'localhost', /host:port/],
    ['TEMPORAL_ADDRESS', 'localhost:99999', /port 1-65535/],
    ['TEMPORAL_ADDRESS', 'localhost:0', /port 1-65535/],
    ['KAFKA_BROKERS', 'a:1,b', /comma-separated list of host:port/],
    ['CASSANDRA_CONTACT_POINTS', 'cassandra', /host:port/],
    ['MYSQL_URL', 'not a url', /mysql:\/\/user:password@host/],
    ['MYSQL_URL', 'postgres://u:p@h:5432/sales_data', /mysql:\/\//],
    ['MYSQL_URL', 'mysql://u:p@h:3306/', /a database name/],
    ['MYSQL_URL', 'mysql://u:p@h:3306/sales-data', /a database name/],
    ['ORDERS_TOPIC', 'orders topic', /Kafka topic name/],
    ['CASSANDRA_KEYSPACE', 'sales-ks', /keyspace name/],
    ['TASK_QUEUE', 'a queue', /task queue name/],
    ['SALESFLOW_PROFILE', 'yes', /0 or 1/],
  ])('rejects %s=%s naming the variable and what it expected', (variable, value, expected) => {
    const e = failure({ [variable]: value });
    expect(e.variable).toBe(variable);
    // MYSQL_URL is quoted with its password replaced (README "Security").
    const shown = variable === 'MYSQL_URL' ? redactUrl(value) : value;
    expect(e.message).toContain(`${variable}=${JSON.stringify(shown)} is invalid`);
    expect(e.message).toMatch(expected);
  });
});
