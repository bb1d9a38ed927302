// Small helpers every command file uses: output options, examples in --help, and the action
// wrapper that hands a command its options merged with the global ones.
import { InvalidArgumentError, type Command } from 'commander';
import type { GlobalOptions } from './session.ts';

/** Adds --json and --jq to a command that lists or shows. */
export function withOutput(cmd: Command): Command {
  return cmd.option('--json', 'print JSON').option('--jq <expr>', 'filter the JSON output with a jq expression (implies --json)');
}

/** Adds --yes to a destructive command. */
export function withYes(cmd: Command): Command {
  return cmd.option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)');
}

/** Examples shown at the end of --help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** The options of the command together with the program's (--server). */
export function options<T extends object = object>(cmd: Command): GlobalOptions & T {
  return cmd.optsWithGlobals<GlobalOptions & T>();
}

/** A nonempty positive integer option. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`not a positive integer: ${value}`);
  return n;
}
