// Organizations, their members and teams, and permission grants on repositories and organizations.
import type { Command } from 'commander';
import { collect, unwrap } from '@docksphere/client';
import { CliError, EXIT } from '../exit-codes.ts';
import { examples, options, withOutput, withYes } from '../command-kit.ts';
import { printList, printObject, success } from '../output.ts';
import { confirmDestructive, openSession } from '../session.ts';

type Level = 'read' | 'write' | 'admin';
function level(value: string): Level {
  if (value !== 'read' && value !== 'write' && value !== 'admin') throw new CliError('--level is read, write or admin', EXIT.usage);
  return value;
}

export function registerOrg(program: Command): void {
  const org = program.command('org').description('organizations');
  examples(
    withOutput(org.command('ls').description('list organizations').option('--mine', 'only those you belong to')).action(async (_o, cmd: Command) => {
      const opts = options<{ mine?: boolean }>(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/orgs', { params: { query: { cursor, mine: opts.mine ? 'true' : undefined } as never } }));
      await printList(rows as Record<string, unknown>[], [{ header: 'NAME', value: (r) => r.name }, { header: 'DISPLAY NAME', value: (r) => r.displayName }, { header: 'DESCRIPTION', value: (r) => r.description }], opts);
    }),
    ['docksphere org ls', 'docksphere org ls --mine --json'],
  );
  examples(
    withOutput(org.command('create').description('create an organization (you become its owner)').argument('<name>').option('--display-name <text>').option('--description <text>')).action(async (name: string, _o, cmd: Command) => {
      const opts = options<{ displayName?: string; description?: string }>(cmd);
      const { client } = openSession(opts);
      const created = await unwrap(client.POST('/api/orgs', { body: { name, displayName: opts.displayName, description: opts.description } }));
      if (opts.json || opts.jq !== undefined) await printObject(created, [], opts);
      else success(`Created organization ${name}`);
    }),
    ['docksphere org create acme --display-name "Acme Inc."'],
  );
  examples(
    withOutput(org.command('view').description('show an organization').argument('<name>')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const o = (await unwrap(client.GET('/api/orgs/{org}', { params: { path: { org: name } } }))) as Record<string, unknown>;
      await printObject(o, Object.entries(o).filter(([, v]) => typeof v !== 'object' || v === null), opts);
    }),
    ['docksphere org view acme'],
  );
  examples(
    withYes(org.command('rm').description('delete an organization').argument('<name>')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await unwrap(client.GET('/api/orgs/{org}', { params: { path: { org: name } } }));
      await confirmDestructive(opts, `Delete organization ${name}`);
      await unwrap(client.DELETE('/api/orgs/{org}', { params: { path: { org: name }, query: { confirm: name } } }));
      success(`Deleted organization ${name}`);
    }),
    ['docksphere org rm acme --yes'],
  );

  const member = org.command('member').description('members of an organization');
  examples(
    withOutput(member.command('ls').argument('<org>').description('list members')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/orgs/{org}/members', { params: { path: { org: name }, query: { cursor } as never } }));
      await printList(rows as Record<string, unknown>[], [{ header: 'USER', value: (r) => r.username }, { header: 'ROLE', value: (r) => r.role }], opts);
    }),
    ['docksphere org member ls acme'],
  );
  examples(
    member.command('add').description('add a member or change a role').argument('<org>').argument('<user>').option('--role <role>', 'owner or member', 'member').action(async (name: string, user: string, _o, cmd: Command) => {
      const opts = options<{ role: string }>(cmd);
      if (opts.role !== 'owner' && opts.role !== 'member') throw new CliError('--role is owner or member', EXIT.usage);
      const { client } = openSession(opts);
      await unwrap(client.PUT('/api/orgs/{org}/members/{username}', { params: { path: { org: name, username: user } }, body: { role: opts.role } }));
      success(`${user} is ${opts.role} of ${name}`);
    }),
    ['docksphere org member add acme bob', 'docksphere org member add acme carol --role owner'],
  );
  examples(
    withYes(member.command('rm').description('remove a member').argument('<org>').argument('<user>')).action(async (name: string, user: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await confirmDestructive(opts, `Remove ${user} from ${name}`);
      await unwrap(client.DELETE('/api/orgs/{org}/members/{username}', { params: { path: { org: name, username: user } } }));
      success(`Removed ${user} from ${name}`);
    }),
    ['docksphere org member rm acme bob --yes'],
  );

  const team = program.command('team').description('teams of an organization');
  examples(
    withOutput(team.command('ls').argument('<org>').description('list teams')).action(async (name: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const rows = await collect((cursor) => client.GET('/api/orgs/{org}/teams', { params: { path: { org: name }, query: { cursor } as never } }));
      await printList(rows as Record<string, unknown>[], [{ header: 'NAME', value: (r) => r.name }, { header: 'MEMBERS', value: (r) => r.memberCount ?? '' }, { header: 'DESCRIPTION', value: (r) => r.description }], opts);
    }),
    ['docksphere team ls acme'],
  );
  examples(
    withOutput(team.command('create').argument('<org>').argument('<team>').description('create a team').option('--description <text>')).action(async (name: string, teamName: string, _o, cmd: Command) => {
      const opts = options<{ description?: string }>(cmd);
      const { client } = openSession(opts);
      const created = await unwrap(client.POST('/api/orgs/{org}/teams', { params: { path: { org: name } }, body: { name: teamName, description: opts.description } }));
      if (opts.json || opts.jq !== undefined) await printObject(created, [], opts);
      else success(`Created team ${name}/${teamName}`);
    }),
    ['docksphere team create acme backend --description "API people"'],
  );
  examples(
    withYes(team.command('rm').argument('<org>').argument('<team>').description('delete a team')).action(async (name: string, teamName: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await unwrap(client.GET('/api/orgs/{org}/teams/{team}', { params: { path: { org: name, team: teamName } } }));
      await confirmDestructive(opts, `Delete team ${name}/${teamName}`);
      await unwrap(client.DELETE('/api/orgs/{org}/teams/{team}', { params: { path: { org: name, team: teamName } } }));
      success(`Deleted team ${name}/${teamName}`);
    }),
    ['docksphere team rm acme backend --yes'],
  );
  const teamMember = team.command('member').description('members of a team');
  examples(
    teamMember.command('add').argument('<org>').argument('<team>').argument('<user>').description('add a user to a team').option('--role <role>', 'member or maintainer', 'member').action(async (name: string, teamName: string, user: string, _o, cmd: Command) => {
      const opts = options<{ role: string }>(cmd);
      if (opts.role !== 'member' && opts.role !== 'maintainer') throw new CliError('--role is member or maintainer', EXIT.usage);
      const { client } = openSession(opts);
      await unwrap(client.PUT('/api/orgs/{org}/teams/{team}/members/{username}', { params: { path: { org: name, team: teamName, username: user } }, body: { role: opts.role } }));
      success(`Added ${user} to ${name}/${teamName}`);
    }),
    ['docksphere team member add acme backend bob'],
  );
  examples(
    withYes(teamMember.command('rm').argument('<org>').argument('<team>').argument('<user>').description('remove a user from a team')).action(async (name: string, teamName: string, user: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await confirmDestructive(opts, `Remove ${user} from ${name}/${teamName}`);
      await unwrap(client.DELETE('/api/orgs/{org}/teams/{team}/members/{username}', { params: { path: { org: name, team: teamName, username: user } } }));
      success(`Removed ${user} from ${name}/${teamName}`);
    }),
    ['docksphere team member rm acme backend bob --yes'],
  );

  const grant = program.command('grant').description('permission grants: on a repository (users, teams) or an organization (teams on name patterns)');
  const isRepo = (target: string) => target.includes('/');
  examples(
    withOutput(grant.command('ls').argument('<target>', 'a repository (ns/name) or an organization').description('list grants')).action(async (target: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      const reply = isRepo(target)
        ? await unwrap(client.GET('/api/repositories/{repository}/grants', { params: { path: { repository: target } } }))
        : await unwrap(client.GET('/api/orgs/{org}/grants', { params: { path: { org: target } } }));
      const rows = ((reply as { items?: unknown[]; grants?: unknown[] }).items ?? (reply as { grants?: unknown[] }).grants ?? []) as Record<string, unknown>[];
      await printList(rows, [{ header: 'ID', value: (r) => r.id }, { header: 'KIND', value: (r) => (r.grantee as { kind?: string } | undefined)?.kind ?? (r.team ? 'team' : 'user') }, { header: 'GRANTEE', value: (r) => (r.grantee as { name?: string } | undefined)?.name ?? r.team ?? r.user ?? '' }, { header: 'PATTERN', value: (r) => r.pattern ?? r.repository ?? '' }, { header: 'LEVEL', value: (r) => r.level }], opts);
    }),
    ['docksphere grant ls acme/api', 'docksphere grant ls acme'],
  );
  examples(
    withOutput(grant.command('add').argument('<target>', 'a repository (ns/name) or an organization').description('grant read, write or admin').option('--user <name>', 'a user (repositories only)').option('--team <name>', 'a team of the organization').option('--pattern <glob>', 'repository name pattern (organizations only), e.g. "api-*"').requiredOption('--level <level>', 'read, write or admin')).action(async (target: string, _o, cmd: Command) => {
      const opts = options<{ user?: string; team?: string; pattern?: string; level: string }>(cmd);
      const { client } = openSession(opts);
      const lv = level(opts.level);
      let created: unknown;
      if (isRepo(target)) {
        if ((opts.user === undefined) === (opts.team === undefined)) throw new CliError('name exactly one of --user or --team', EXIT.usage);
        const body = opts.user !== undefined ? { user: opts.user, level: lv } : { team: opts.team as string, level: lv };
        created = await unwrap(client.PUT('/api/repositories/{repository}/grants', { params: { path: { repository: target } }, body }));
      } else {
        if (!opts.team || !opts.pattern) throw new CliError('an organization grant needs --team and --pattern', EXIT.usage);
        created = await unwrap(client.PUT('/api/orgs/{org}/grants', { params: { path: { org: target } }, body: { team: opts.team, pattern: opts.pattern, level: lv } }));
      }
      if (opts.json || opts.jq !== undefined) await printObject(created as object, [], opts);
      else success(`Granted ${lv} on ${target}`);
    }),
    ['docksphere grant add acme/api --user bob --level write', 'docksphere grant add acme --team backend --pattern "api-*" --level read'],
  );
  examples(
    withYes(grant.command('rm').argument('<target>').argument('<id>').description('remove a grant')).action(async (target: string, id: string, _o, cmd: Command) => {
      const opts = options(cmd);
      const { client } = openSession(opts);
      await confirmDestructive(opts, `Remove grant ${id} on ${target}`);
      if (isRepo(target)) await unwrap(client.DELETE('/api/repositories/{repository}/grants/{id}', { params: { path: { repository: target, id } } }));
      else await unwrap(client.DELETE('/api/orgs/{org}/grants/{id}', { params: { path: { org: target, id } } }));
      success(`Removed grant ${id}`);
    }),
    ['docksphere grant rm acme/api 6f1c… --yes'],
  );
}
