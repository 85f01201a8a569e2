/**
 * `salesflow <command>`: the contract scripts and tests rely on. Every command has --help; failures print one
 * line on stderr and exit with a code from ./errors (0 ok, 2 usage, 3 not found, 4 already running, 5 unreachable).
 */
import { ConfigError } from '../config';
import { CliError, EXIT } from './errors';

type Command = { summary: string; run: (args: string[]) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  stack: { summary: 'up|down|status|logs: the local Temporal, Kafka, MySQL and Cassandra', run: (a) => import('./stack').then((m) => m.runStack(a)) },
  migrate: { summary: 'create or update the MySQL and Cassandra schemas', run: (a) => import('./stack').then((m) => m.runMigrate(a)) },
  generate: { summary: 'write a deterministic customers/orders/products data set', run: (a) => import('./generate').then((m) => m.runGenerate(a)) },
};

export function registerCommand(name: string, command: Command): void {
  COMMANDS[name] = command;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'Usage: salesflow <command> [options]   (salesflow <command> --help for details)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage, 3 not found, 4 already running, 5 service unreachable.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    process.exitCode = name ? EXIT.ok : EXIT.usage;
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`salesflow: unknown command '${name}'\n\n${help()}`);
    process.exitCode = EXIT.usage;
    return;
  }
  try {
    process.exitCode = await command.run(args);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
    console.error(`salesflow ${name}: ${(e as Error).message}`);
  }
}

export function exitCodeFor(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof ConfigError) return EXIT.usage;
  const text = String((e as Error)?.message ?? e);
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|NoHostAvailable|All host\(s\) tried|Connection dropped|TransportError/i.test(text)) {
    return EXIT.unreachable;
  }
  return EXIT.failure;
}
