// Personal access tokens and robot accounts.
import type { Command } from 'commander';
import { unwrap } from '@docksphere/client';
import { CliError, EXIT } from '../exit-codes.ts';
import { examples, options, positiveInt, withOutput, withYes } from '../command-kit.ts';
import { note, printList, printObject, success } from '../output.ts';
import { confirmDestructive, openSession } from '../session.ts';

type Action = 'pull' | 'push' | 'delete';
function actions(list: string): Action[] {
  const parsed = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of parsed) if (a !== 'pull' && a !== 'push' && a !== 'delete') throw new CliError(`unknown scope ${a}: pull, push or delete`, EXIT.usage);
  if (parsed.length === 0) throw new CliError('name at least one scope', EXIT.usage);
  return [...new Set(parsed)] as Action[];
}

export function registerTokens(program: Command): void {
  const token = program.command('token').description('your personal access tokens');
  examples(
    withOutput(token.command('ls').description('list your tokens')).action(async (_o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const rows = (await unwrap(client.GET('/api/auth/tokens'))).tokens;
      await printList(rows, [{ header: 'ID', value: (r) => r.id }, { header: 'NAME', value: (r) => r.name }, { header: 'SCOPES', value: (r) => r.scopes }, { header: 'HINT', value: (r) => r.hint }, { header: 'EXPIRES', value: (r) => r.expiresAt ?? 'never' }, { header: 'LAST USED', value: (r) => r.lastUsedAt ?? '' }, { header: 'REVOKED', value: (r) => r.revokedAt ?? '' }], opts);
    }),
    ['docksphere token ls', 'docksphere token ls --jq ".[] | select(.revokedAt == null) | .name"'],
  );
  examples(
    withOutput(token.command('create').description('create a token; its secret is printed once').argument('<name>').option('--scopes <list>', 'comma-separated: pull,push,delete', 'pull').option('--expires-in-days <n>', 'days until it expires', positiveInt)).action(async (name: string, _o, cmd: Command) => {
      const opts = options<{ scopes: string; expiresInDays?: number }>(cmd);
      const { client } = openSession(opts);
      const created = await unwrap(client.POST('/api/auth/tokens', { body: { name, scopes: actions(opts.scopes), expiresInDays: opts.expiresInDays } }));
      if (opts.json || opts.jq !== undefined) return printObject(created, [], opts);
      note(`Created token ${created.accessToken.id}; the secret is shown once:`);
      process.stdout.write(`${created.token}\n`);
    }),
    ['docksphere token create ci-pull --scopes pull --expires-in-days 30', 'docksphere token create deploy --scopes pull,push --jq -r .token'],
  );
  examples(
    withYes(token.command('revoke').description('revoke a token').argument('<id>')).action(async (id: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await confirmDestructive(opts, `Revoke token ${id}`);
      await unwrap(client.DELETE('/api/auth/tokens/{id}', { params: { path: { id } } }));
      success(`Revoked token ${id}`);
    }),
    ['docksphere token revoke 0b9f3c1e-… --yes'],
  );

  const robot = program.command('robot').description('robot accounts of a namespace (for CI: docker login -u NAMESPACE+NAME)');
  const listRobots = async (client: ReturnType<typeof openSession>['client'], namespace: string) => (await unwrap(client.GET('/api/auth/namespaces/{namespace}/robots', { params: { path: { namespace } } }))).robots;
  examples(
    withOutput(robot.command('ls').argument('<namespace>').description('list robots')).action(async (namespace: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await printList(await listRobots(client, namespace), [{ header: 'LOGIN', value: (r) => r.login }, { header: 'REPOSITORIES', value: (r) => r.repositories }, { header: 'ACTIONS', value: (r) => r.actions }, { header: 'EXPIRES', value: (r) => r.expiresAt ?? 'never' }, { header: 'LAST USED', value: (r) => r.lastUsedAt ?? '' }], opts);
    }),
    ['docksphere robot ls acme'],
  );
  const createRobot = async (cmd: Command, namespace: string, name: string, replacing: boolean) => {
    const opts = options<{ repositories?: string; actions?: string; description?: string; expiresInDays?: number }>(cmd);
    const { client } = openSession(opts);
    let body: { name: string; description?: string; repositories: string[]; actions: Action[]; expiresInDays?: number };
    if (replacing) {
      const existing = (await listRobots(client, namespace)).find((r) => r.name === name);
      if (!existing) throw new CliError(`no robot ${namespace}+${name}`, EXIT.notFound);
      await confirmDestructive(opts, `Rotate ${existing.login}: its current secret stops working`);
      body = { name, description: existing.description, repositories: existing.repositories, actions: existing.actions as Action[], expiresInDays: opts.expiresInDays };
      await unwrap(client.DELETE('/api/auth/namespaces/{namespace}/robots/{name}', { params: { path: { namespace, name } } }));
    } else {
      if (!opts.repositories) throw new CliError('--repositories is required', EXIT.usage);
      body = { name, description: opts.description, repositories: opts.repositories.split(',').map((s) => s.trim()).filter(Boolean), actions: actions(opts.actions ?? 'pull'), expiresInDays: opts.expiresInDays };
    }
    const created = await unwrap(client.POST('/api/auth/namespaces/{namespace}/robots', { params: { path: { namespace } }, body }));
    if (opts.json || opts.jq !== undefined) return printObject(created, [], opts);
    note(`${replacing ? 'Rotated' : 'Created'} ${created.robot.login}; the secret is shown once:`);
    process.stdout.write(`${created.token}\n`);
  };
  examples(
    withOutput(robot.command('create').argument('<namespace>').argument('<name>').description('create a robot; its secret is printed once').option('--repositories <list>', 'comma-separated repository names or patterns in the namespace').option('--actions <list>', 'pull,push,delete', 'pull').option('--description <text>').option('--expires-in-days <n>', 'days until it expires', positiveInt)).action(async (namespace: string, name: string, _o, cmd: Command) => createRobot(cmd, namespace, name, false)),
    ['docksphere robot create acme ci --repositories acme/api,acme/web --actions pull,push'],
  );
  examples(
    withYes(withOutput(robot.command('rotate').argument('<namespace>').argument('<name>').description('replace a robot\'s secret (the robot is recreated with the same repositories and actions)').option('--expires-in-days <n>', 'days until the new secret expires', positiveInt))).action(async (namespace: string, name: string, _o, cmd: Command) => createRobot(cmd, namespace, name, true)),
    ['docksphere robot rotate acme ci --yes'],
  );
  examples(
    withYes(robot.command('rm').argument('<namespace>').argument('<name>').description('delete a robot')).action(async (namespace: string, name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await confirmDestructive(opts, `Delete robot ${namespace}+${name}`);
      await unwrap(client.DELETE('/api/auth/namespaces/{namespace}/robots/{name}', { params: { path: { namespace, name } } }));
      success(`Deleted robot ${namespace}+${name}`);
    }),
    ['docksphere robot rm acme ci --yes'],
  );
}
