/** What loadConfig says about a bad environment: the ConfigError (fails the test if it accepts it). */
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';

export function configFailure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}
