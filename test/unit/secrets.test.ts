/** Config messages and CLI error lines never carry a configured password; connection errors name their service. */
import { describe, expect, it } from 'vitest';
import { ConfigError, configuredSecrets, loadConfig, redactSecrets, redactUrl } from '../../src/config';
import type { Service } from '../../src/errors';
import { diagnoseMysql } from '../../src/io/mysql-errors';
import { reachMessage, toFamily } from '../../src/io/reach';

describe('secrets in messages', () => {
  it.each([
    'mysql//salesflow:pa55word-x@127.0.0.1:3306/sales_data',
    'postgres://salesflow:pa55word-x@h:5432/sales_data',
    'mysql://salesflow:pa55word-x@h:3306/bad-name',
    'mysql://salesflow:pa55word-x@h:3306/%E0%A4%A',
    'salesflow:pa55word-x@h',
    'mysql://salesflow:pa5@5word-x@h:3306/',
  ])('an invalid MYSQL_URL is quoted without its password: %s', (url) => {
    let error: unknown;
    try {
      loadConfig({ MYSQL_URL: url });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^MYSQL_URL=/);
    expect(message).not.toMatch(/pa55word|5word-x/);
    expect(message).toContain('***');
  });

  it('redactUrl keeps the user and host', () => {
    expect(redactUrl('mysql://u:secret@h:1/db')).toBe('mysql://u:***@h:1/db');
    expect(redactUrl('mysql://h:1/db')).toBe('mysql://h:1/db');
  });

  it('scrubs the configured passwords, percent-encoded or not, but not the public defaults', () => {
    const env = {
      MYSQL_URL: 'mysql://salesflow:p%40ss-word@h:3306/sales_data',
      MYSQL_READONLY_PASSWORD: 'ro-secret',
    };
    expect(configuredSecrets(env).sort()).toEqual(['p%40ss-word', 'p@ss-word', 'ro-secret']);
    expect(redactSecrets('a p@ss-word b ro-secret c p%40ss-word', env)).toBe('a *** b *** c ***');
    expect(redactSecrets('salesflow worker', { MYSQL_URL: 'mysql://salesflow:salesflow@h/sales_data' })).toBe(
      'salesflow worker',
    );
  });
});

describe('a connection error names its service and variable, never a password', () => {
  const config = loadConfig({ MYSQL_URL: 'mysql://salesflow:pa55word-x@127.0.0.1:3306/sales_data' });

  it.each<[Service, string]>([
    ['mysql', 'MySQL at 127.0.0.1:3306 (MYSQL_URL) refused the connection'],
    ['kafka', 'Kafka at 127.0.0.1:9092 (KAFKA_BROKERS) refused the connection'],
    ['cassandra', 'Cassandra at 127.0.0.1:9042 (CASSANDRA_CONTACT_POINTS) refused the connection'],
    ['temporal', 'Temporal at 127.0.0.1:7233 (TEMPORAL_ADDRESS) refused the connection'],
  ])('%s', (service, message) => {
    expect(reachMessage({ service, config }, 'refused')).toBe(message);
  });

  it('a refused login, whatever the driver said', () => {
    const denied = Object.assign(
      new Error("Access denied for user 'salesflow'@'127.0.0.1' (using password: YES)"),
      { code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000' },
    );
    const e = toFamily({ service: 'mysql', config }, diagnoseMysql(denied), denied);
    expect(e.message).toBe(
      'MySQL at 127.0.0.1:3306 (MYSQL_URL) rejected the login (check the user and password in MYSQL_URL)',
    );
    expect(e.message).not.toMatch(/pa55word/);
  });
});
