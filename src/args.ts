/** Flag parsing shared by every command: node:util parseArgs with `--help` and clear usage errors. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

export function parse(args: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals, help: Boolean(values.help) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A positive number flag, or undefined when absent. */
export function numberFlag(value: unknown, name: string, opts: { integer?: boolean; min?: number } = {}) {
  if (value === undefined) return undefined;
  const n = Number(value);
  const min = opts.min ?? 0;
  if (
    typeof value !== 'string' ||
    value.trim() === '' ||
    !Number.isFinite(n) ||
    n < min ||
    (opts.integer && !Number.isInteger(n))
  ) {
    throw new UsageError(
      `--${name} expects ${opts.integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** True for a subcommand slot that asks for help (`salesflow stack --help`, `salesflow stream help`). */
export const asksHelp = (sub: string | undefined) => sub === 'help' || sub === '--help' || sub === '-h';
