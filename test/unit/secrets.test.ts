/** Config messages and CLI error lines never carry a configured password; connection errors map to a service. */
import { describe, expect, it } from 'vitest';
import { ConfigError, configuredSecrets, loadConfig, redactSecrets, redactUrl } from '../../src/config';
import { serviceOf, unreachableMessage } from '../../src/io/reach';

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

describe('which service a connection error came from', () => {
  const config = loadConfig({});
  const refused = (address: string, port: number) =>
    Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), {
      code: 'ECONNREFUSED',
      address,
      port,
    });

  it('by the address in it', () => {
    expect(serviceOf(refused('127.0.0.1', 3306), config)).toBe('mysql');
    expect(serviceOf(refused('127.0.0.1', 9092), config)).toBe('kafka');
    expect(serviceOf(refused('127.0.0.1', 9042), config)).toBe('cassandra');
    expect(serviceOf(refused('127.0.0.1', 7233), config)).toBe('temporal');
  });

  it('by the driver error type, and not at all for other errors', () => {
    const noHost = Object.assign(new Error('All host(s) tried for query failed'), {
      name: 'NoHostAvailableError',
      innerErrors: { '10.0.0.9:9042': new Error('connect ECONNREFUSED') },
    });
    expect(serviceOf(noHost, config)).toBe('cassandra');
    expect(serviceOf(new Error('Table sales.x does not exist'), config)).toBeUndefined();
    expect(unreachableMessage('kafka', config, refused('127.0.0.1', 9092))).toBe(
      'Kafka at 127.0.0.1:9092 (KAFKA_BROKERS) refused the connection',
    );
  });
});
