#!/usr/bin/env node
// docksphere: the command-line client of the DockSphere platform (nouns and verbs like gh).
// Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 denied, 5 unavailable.
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './commands/admin.ts';
import { registerAuth } from './commands/auth.ts';
import { registerOrg } from './commands/org.ts';
import { registerRepo } from './commands/repo.ts';
import { registerTokens } from './commands/tokens.ts';
import { completionScript } from './completion.ts';
import { asCliError, CliError, EXIT } from './exit-codes.ts';
import { colors } from './output.ts';

declare const DOCKSPHERE_CLI_VERSION: string | undefined;

export function buildProgram(): Command {
  const program = new Command('docksphere')
    .description('DockSphere command-line client: repositories, tags, organizations, teams, grants, tokens, robots, webhooks, audit')
    .version(typeof DOCKSPHERE_CLI_VERSION === 'string' ? DOCKSPHERE_CLI_VERSION : '0.0.0-dev')
    .option('-s, --server <server>', 'server URL or context name (default: $DOCKSPHERE_SERVER, then the current context)')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      `
Environment:
  DOCKSPHERE_SERVER   server URL or context, like --server
  DOCKSPHERE_TOKEN    a personal access token to use instead of the stored one (CI)
  DOCKER_CONFIG       where Docker's config.json (and so the stored token) lives
  NO_COLOR            turn colors off

Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 denied, 5 unavailable.

Examples:
  $ docksphere login registry.example.com
  $ docksphere repo ls --json
  $ docksphere tag ls acme/api --jq '.[].name'
  $ docksphere completion bash >> ~/.bashrc
`,
    );
  registerAuth(program);
  registerRepo(program);
  registerOrg(program);
  registerTokens(program);
  registerAdmin(program);
  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', '\nExamples:\n  $ docksphere completion bash > /etc/bash_completion.d/docksphere\n  $ docksphere completion fish > ~/.config/fish/completions/docksphere.fish\n')
    .action((shell: string) => {
      if (!['bash', 'zsh', 'fish'].includes(shell)) throw new CliError(`unknown shell ${shell}: bash, zsh or fish`, EXIT.usage);
      process.stdout.write(completionScript(program, shell));
    });
  const exitOverride = (cmd: Command) => {
    cmd.exitOverride();
    cmd.commands.forEach(exitOverride);
  };
  exitOverride(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with a "success" CommanderError.
      if (err.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof Error && err.name === 'ExitPromptError') return EXIT.error;
    const failure = asCliError(err);
    process.stderr.write(`${colors.red('error:')} ${failure.message}\n`);
    return failure.exitCode;
  }
}

// `docksphere repo ls | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});
const exit = await main(process.argv);
process.exitCode = exit;
