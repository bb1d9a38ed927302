// Webhooks, the audit trail, repository docs and (site admins) users.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { collect, unwrap } from '@docksphere/client';
import { CliError, EXIT } from '../exit-codes.ts';
import { examples, options, withOutput, withYes } from '../command-kit.ts';
import { note, printList, printObject, success } from '../output.ts';
import { confirmDestructive, openSession } from '../session.ts';

const MAX_DOC = 1024 * 1024;
type Row = Record<string, unknown>;

async function readText(file: string): Promise<string> {
  if (file !== '-') {
    const text = readFileSync(file, 'utf8');
    if (text.length > MAX_DOC) throw new CliError(`${file} is larger than 1 MiB`, EXIT.usage);
    return text;
  }
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > MAX_DOC) throw new CliError('more than 1 MiB on stdin', EXIT.usage);
  }
  return text;
}

export function registerAdmin(program: Command): void {
  const webhook = program.command('webhook').description('webhooks: signed HTTP calls on pushes, deletes, pulls');
  examples(
    withOutput(webhook.command('ls').description('list webhooks').option('--scope <scope>', 'repository, namespace or site').option('--target <name>', 'repository or namespace')).action(async (_o, cmd: Command) => {
      const opts = options<{ scope?: string; target?: string }>(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/webhooks', { params: { query: { cursor, scope: opts.scope, target: opts.target } as never } }));
      await printList(rows as Row[], [{ header: 'ID', value: (r) => r.id }, { header: 'URL', value: (r) => r.url }, { header: 'SCOPE', value: (r) => r.scope }, { header: 'TARGET', value: (r) => r.target ?? '' }, { header: 'EVENTS', value: (r) => r.events }, { header: 'ACTIVE', value: (r) => r.active ?? r.enabled ?? '' }], opts);
    }),
    ['docksphere webhook ls --scope repository --target acme/api'],
  );
  examples(
    withOutput(webhook.command('create').description('create a webhook (prints its signing secret once)').requiredOption('--url <url>').requiredOption('--scope <scope>', 'repository, namespace or site').option('--target <name>', 'the repository or namespace').option('--events <list>', 'pushed,deleted,pulled,security,alert', 'pushed')).action(async (_o, cmd: Command) => {
      const opts = options<{ url: string; scope: string; target?: string; events: string }>(cmd);
      const { client } = openSession(opts);
      const body = { url: opts.url, scope: opts.scope, target: opts.target, events: opts.events.split(',').map((s) => s.trim()).filter(Boolean) };
      const created = (await unwrap(client.POST('/api/webhooks', { body: body as never }))) as Row;
      if (opts.json || opts.jq !== undefined) return printObject(created, [], opts);
      const hook = (created.webhook ?? created) as Row;
      success(`Created webhook ${String(hook.id)}`);
      if (typeof created.secret === 'string') process.stdout.write(`${created.secret}\n`);
    }),
    ['docksphere webhook create --url https://ci.example.com/hook --scope repository --target acme/api --events pushed,deleted'],
  );
  examples(
    withYes(webhook.command('rm').argument('<id>').description('delete a webhook')).action(async (id: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await unwrap(client.GET('/api/webhooks/{id}', { params: { path: { id } } }));
      await confirmDestructive(opts, `Delete webhook ${id}`);
      await unwrap(client.DELETE('/api/webhooks/{id}', { params: { path: { id } } }));
      success(`Deleted webhook ${id}`);
    }),
    ['docksphere webhook rm 3f2a… --yes'],
  );
  examples(
    withOutput(webhook.command('ping').argument('<id>').description('send a test delivery')).action(async (id: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const delivery = (await unwrap(client.POST('/api/webhooks/{id}/ping', { params: { path: { id } } }))) as Row;
      if (opts.json || opts.jq !== undefined) return printObject(delivery, [], opts);
      success(`Ping queued (delivery ${String((delivery.delivery as Row | undefined)?.id ?? delivery.id ?? '')})`);
    }),
    ['docksphere webhook ping 3f2a…'],
  );
  examples(
    withOutput(webhook.command('deliveries').argument('<id>').description('recent deliveries of a webhook')).action(async (id: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/webhooks/{id}/deliveries', { params: { path: { id }, query: { cursor } } }));
      await printList(rows as Row[], [{ header: 'ID', value: (r) => r.id }, { header: 'EVENT', value: (r) => r.event ?? r.eventType ?? '' }, { header: 'STATUS', value: (r) => r.status ?? r.state ?? '' }, { header: 'HTTP', value: (r) => r.responseStatus ?? '' }, { header: 'ATTEMPTS', value: (r) => r.attempts ?? '' }, { header: 'CREATED', value: (r) => r.createdAt ?? '' }], opts);
    }),
    ['docksphere webhook deliveries 3f2a… --jq ".[] | select(.status != \\"delivered\\")"'],
  );
  examples(
    withOutput(webhook.command('redeliver').argument('<id>').argument('<delivery>').description('send a delivery again')).action(async (id: string, deliveryId: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const d = (await unwrap(client.POST('/api/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id, deliveryId } } }))) as Row;
      if (opts.json || opts.jq !== undefined) return printObject(d, [], opts);
      success(`Redelivery queued`);
    }),
    ['docksphere webhook redeliver 3f2a… 9c1d…'],
  );

  const audit = program.command('audit').description('the audit trail');
  const filters = (cmd: Command) =>
    cmd.option('--actor <user>').option('--repository <name>').option('--namespace <ns>').option('--action <action>').option('--since <time>', 'ISO time').option('--until <time>', 'ISO time');
  type Filters = { actor?: string; repository?: string; namespace?: string; action?: string; since?: string; until?: string };
  const query = (o: Filters) => ({ actor: o.actor, repository: o.repository, namespace: o.namespace, action: o.action, since: o.since, until: o.until });
  examples(
    withOutput(filters(audit.command('ls').description('list audit entries (newest first)').option('--limit <n>', 'at most this many', '100'))).action(async (_o, cmd: Command) => {
      const opts = options<Filters & { limit: string }>(cmd);
      const { client } = openSession(opts);
      const rows = (await collect((cursor) => client.GET('/api/audit/entries', { params: { query: { ...query(opts), cursor } as never } }), Math.max(1, Number(opts.limit) || 100) + 1000)).slice(0, Math.max(1, Number(opts.limit) || 100));
      await printList(rows as Row[], [{ header: 'TIME', value: (r) => r.occurredAt }, { header: 'ACTOR', value: (r) => (r.actor as { name?: string } | null)?.name ?? '' }, { header: 'ACTION', value: (r) => r.action }, { header: 'TARGET', value: (r) => r.repository ?? r.target ?? r.namespace ?? '' }, { header: 'SEQ', value: (r) => r.seq }], opts);
    }),
    ['docksphere audit ls --repository acme/api --since 2026-01-01T00:00:00Z'],
  );
  examples(
    filters(audit.command('export').description('export entries (JSON lines or CSV) to stdout').option('--format <format>', 'ndjson or csv', 'ndjson')).action(async (_o, cmd: Command) => {
      const opts = options<Filters & { format: string }>(cmd);
      const { client } = openSession(opts);
      const reply = await client.GET('/api/audit/export', { params: { query: { ...query(opts), format: opts.format } as never }, parseAs: 'stream' });
      if (!reply.response.ok || !reply.response.body) await unwrap(reply);
      for await (const chunk of reply.response.body as unknown as AsyncIterable<Uint8Array>) process.stdout.write(chunk);
    }),
    ['docksphere audit export --format csv > audit.csv'],
  );
  examples(
    withOutput(audit.command('verify').description('check the audit trail\'s hash chain')).action(async (_o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const result = (await unwrap(client.GET('/api/audit/verify'))) as Row;
      await printObject(result, Object.entries(result).filter(([, v]) => typeof v !== 'object' || v === null), opts);
      if (result.ok === false || result.valid === false) process.exitCode = EXIT.error;
    }),
    ['docksphere audit verify'],
  );

  const docs = program.command('docs').description('a repository\'s Markdown documentation');
  examples(
    withOutput(docs.command('get').argument('<repository>').description('print the Markdown')).action(async (repository: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const doc = (await unwrap(client.GET('/api/repositories/{repository}/docs', { params: { path: { repository } } }))) as Row;
      if (opts.json || opts.jq !== undefined) return printObject(doc, [], opts);
      process.stdout.write(String(doc.markdown ?? ''));
    }),
    ['docksphere docs get acme/api > README.md'],
  );
  examples(
    withOutput(docs.command('put').argument('<repository>').argument('[file]', 'Markdown file, or - for stdin', '-').description('replace the Markdown')).action(async (repository: string, file: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const markdown = await readText(file);
      const saved = (await unwrap(client.PUT('/api/repositories/{repository}/docs', { params: { path: { repository } }, body: { markdown } }))) as Row;
      if (opts.json || opts.jq !== undefined) return printObject(saved, [], opts);
      success(`Saved docs of ${repository}${saved.version !== undefined ? ` (version ${String(saved.version)})` : ''}`);
    }),
    ['docksphere docs put acme/api README.md', 'cat README.md | docksphere docs put acme/api'],
  );

  const user = program.command('user').description('users (site admins)');
  examples(
    withOutput(user.command('ls').description('list users')).action(async (_o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/auth/admin/users', { params: { query: { cursor } } }));
      await printList(rows as Row[], [{ header: 'USERNAME', value: (r) => r.username }, { header: 'EMAIL', value: (r) => r.email }, { header: 'ADMIN', value: (r) => r.admin }, { header: 'DISABLED', value: (r) => r.disabled }, { header: 'SOURCE', value: (r) => r.source }], opts);
    }),
    ['docksphere user ls', 'docksphere user ls --jq ".[] | select(.admin) | .username"'],
  );
  examples(
    withOutput(user.command('create').argument('<username>').description('create a local user').requiredOption('--email <email>').option('--display-name <name>').option('--password-stdin', 'read the initial password from stdin').option('--admin', 'make a site admin')).action(async (username: string, _o, cmd: Command) => {
      const opts = options<{ email: string; displayName?: string; passwordStdin?: boolean; admin?: boolean }>(cmd);
      const { client } = openSession(opts);
      const password = opts.passwordStdin ? (await readText('-')).replace(/\r?\n$/, '') : undefined;
      const created = (await unwrap(client.POST('/api/auth/admin/users', { body: { username, email: opts.email, displayName: opts.displayName, password, admin: opts.admin } as never }))) as Row;
      if (opts.json || opts.jq !== undefined) return printObject(created, [], opts);
      success(`Created user ${username}`);
      if (!password) note('No password set: the user signs in after a password reset or through an invite.');
    }),
    ['printf "%s" "$PW" | docksphere user create bob --email bob@example.com --password-stdin'],
  );
  examples(
    withYes(user.command('disable').argument('<username>').description('disable (or with --enable, re-enable) a user').option('--enable', 'enable instead')).action(async (username: string, _o, cmd: Command) => {
      const opts = options<{ enable?: boolean }>(cmd);
      const { client } = openSession(opts);
      if (!opts.enable) await confirmDestructive(opts, `Disable ${username}: their sessions and tokens stop working`);
      await unwrap(client.PATCH('/api/auth/admin/users/{username}', { params: { path: { username } }, body: { disabled: !opts.enable } }));
      success(`${opts.enable ? 'Enabled' : 'Disabled'} ${username}`);
    }),
    ['docksphere user disable mallory --yes', 'docksphere user disable mallory --enable'],
  );
  examples(
    withYes(user.command('rm').argument('<username>').description('delete a user')).action(async (username: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await confirmDestructive(opts, `Delete user ${username}`);
      await unwrap(client.DELETE('/api/auth/admin/users/{username}', { params: { path: { username }, query: { confirm: username } } }));
      success(`Deleted ${username}`);
    }),
    ['docksphere user rm mallory --yes'],
  );
  examples(
    user.command('admin').argument('<username>').description('make a user a site admin (or --revoke)').option('--revoke', 'take admin away').action(async (username: string, _o, cmd: Command) => {
      const opts = options<{ revoke?: boolean }>(cmd);
      const { client } = openSession(opts);
      await unwrap(client.PATCH('/api/auth/admin/users/{username}', { params: { path: { username } }, body: { admin: !opts.revoke } }));
      success(`${username} is ${opts.revoke ? 'no longer' : 'now'} a site admin`);
    }),
    ['docksphere user admin carol', 'docksphere user admin carol --revoke'],
  );
}
