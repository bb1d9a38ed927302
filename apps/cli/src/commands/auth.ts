// login, logout, whoami, status and contexts: which servers the CLI knows and with which token.
import { input, password as passwordPrompt } from '@inquirer/prompts';
import type { Command } from 'commander';
import { createPlatformClient, unwrap } from '@docksphere/client';
import { contextName, loadContexts, normalizeServer, registryHost, removeContext, saveContexts, upsertContext } from '../contexts.ts';
import { credentialsLocation, eraseCredentials, loadCredentials, storeCredentials } from '../credentials.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { examples, options, withOutput, withYes } from '../command-kit.ts';
import { note, printList, printObject, success } from '../output.ts';
import { confirmDestructive, openSession, resolveTarget } from '../session.ts';

const MAX_STDIN = 64 * 1024;

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > MAX_STDIN) throw new CliError('more than 64 KiB on stdin', EXIT.usage);
  }
  return text.replace(/\r?\n$/, '');
}

const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

interface LoginOptions {
  username?: string;
  passwordStdin?: boolean;
  token?: string;
  otp?: string;
  name?: string;
}

/** The scopes of the token the CLI creates: registry access for docker, API access for the commands
 * (api:write implies api:read; admin only takes effect for a site admin's token). */
const CLI_TOKEN_SCOPES = ['pull', 'push', 'delete', 'api:write', 'admin'] as const;

export function registerAuth(program: Command): void {
  examples(
    program
      .command('login')
      .description('log in to a DockSphere server: creates a personal access token for the CLI and stores it with Docker\'s credentials')
      .argument('[server]', 'server URL or host (default: the current context)')
      .option('-u, --username <name>', 'user name')
      .option('--password-stdin', 'read the password from stdin')
      .option('--token <token>', 'use an existing personal access token instead of a password (or "-" to read it from stdin)')
      .option('--otp <code>', 'the two-factor code (asked for when needed on a terminal)')
      .option('--name <name>', 'name of the token the CLI creates')
      .action(async (serverArg: string | undefined, _o, cmd: Command) => {
        const opts = options<LoginOptions>(cmd);
        const server = serverArg ? normalizeServer(serverArg) : resolveTarget(opts).server;
        const host = registryHost(server);
        let username = opts.username;
        let secret: string;
        let tokenId: string | undefined;
        if (opts.token !== undefined) {
          secret = opts.token === '-' ? await readStdin() : opts.token;
          if (!secret) throw new CliError('empty token', EXIT.usage);
          const me = await createPlatformClient({ baseUrl: server, auth: { token: secret } }).GET('/api/auth/me');
          if (me.data) username = me.data.user.username;
          else if (me.response.status === 401 && !username) throw new CliError('the server does not accept this token on its API: pass --username to store it for the registry', EXIT.denied);
          if (!username) throw new CliError(`cannot check the token: ${me.response.status}`, EXIT.error);
        } else {
          if (!username) {
            if (!interactive()) throw new CliError('--username is required when not on a terminal', EXIT.usage);
            username = await input({ message: 'Username:' }, { output: process.stderr });
          }
          let password: string;
          if (opts.passwordStdin) password = await readStdin();
          else if (interactive()) password = await passwordPrompt({ message: 'Password:', mask: true }, { output: process.stderr });
          else throw new CliError('no password: use --password-stdin or --token when not on a terminal', EXIT.usage);
          if (!password) throw new CliError('empty password', EXIT.usage);
          const client = createPlatformClient({ baseUrl: server });
          const first = await unwrap(client.POST('/api/auth/login', { body: { username, password } }));
          let accessToken: string;
          if ('twoFactorRequired' in first) {
            let code = opts.otp;
            if (!code) {
              if (!interactive()) throw new CliError('this account uses two-factor authentication: pass --otp CODE', EXIT.usage);
              code = await input({ message: 'Two-factor code (or a backup code):' }, { output: process.stderr });
            }
            const body = /^\s*\d{3}\s?\d{3}\s*$/.test(code) ? { challenge: first.challenge, code } : { challenge: first.challenge, backupCode: code.trim() };
            accessToken = (await unwrap(client.POST('/api/auth/login/2fa', { body }))).accessToken;
          } else {
            accessToken = first.accessToken;
          }
          client.setAuth({ token: accessToken });
          const name = opts.name ?? `docksphere CLI on ${process.env.HOSTNAME || 'this machine'} ${new Date().toISOString().slice(0, 10)}`;
          const created = await unwrap(client.POST('/api/auth/tokens', { body: { name: name.slice(0, 100), scopes: [...CLI_TOKEN_SCOPES] } }));
          secret = created.token;
          tokenId = created.accessToken.id;
          // The console session was only needed to create the token.
          await client.POST('/api/auth/logout').catch(() => undefined);
        }
        const where = storeCredentials(host, { username, secret });
        const ctxName = contextName(server);
        upsertContext({ name: ctxName, server, username, tokenId }, true);
        if (where.kind === 'helper') note(`Token stored with the credential helper docker-credential-${where.helper}.`);
        else note(`Token stored unencrypted in ${where.file} (mode 0600). Configure "credsStore" or "credHelpers" there to use a credential helper.`);
        success(`Logged in to ${server} as ${username} (context ${ctxName}); docker push/pull to ${host} use the same credentials.`);
      }),
    ['docksphere login registry.example.com', 'docksphere login http://127.0.0.1:5000 -u alice --password-stdin < password.txt', 'echo "$TOKEN" | docksphere login registry.example.com -u ci --token -'],
  );

  examples(
    withYes(program.command('logout').description('revoke the CLI\'s token on the server and forget it').argument('[server]', 'server URL, host or context (default: current)')).action(async (serverArg: string | undefined, _o, cmd: Command) => {
      const opts = options(cmd);
      const target = resolveTarget(serverArg ? { ...opts, server: serverArg } : opts);
      const host = registryHost(target.server);
      const creds = loadCredentials(host);
      const tokenId = target.context?.tokenId;
      if (creds && tokenId) {
        const client = createPlatformClient({ baseUrl: target.server, auth: { token: creds.secret } });
        const revoked = await client.DELETE('/api/auth/tokens/{id}', { params: { path: { id: tokenId } } });
        if (revoked.response.ok) note('Token revoked on the server.');
        else note(`Could not revoke the token on the server (HTTP ${revoked.response.status}): revoke it in the console (token ${tokenId}).`);
      }
      eraseCredentials(host);
      if (target.context) removeContext(target.context.name);
      success(`Logged out of ${target.server}`);
    }),
    ['docksphere logout', 'docksphere logout registry.example.com'],
  );

  examples(
    withOutput(program.command('whoami').description('the user the CLI acts as on the server')).action(async (_o, cmd: Command) => {
      const opts = options(cmd);
      const session = openSession(opts);
      const me = await unwrap(session.client.GET('/api/auth/me'));
      await printObject(me.user, [['username', me.user.username], ['email', me.user.email], ['admin', me.user.admin], ['2fa', me.user.twoFactorEnabled], ['server', session.server]], opts);
    }),
    ['docksphere whoami', 'docksphere whoami --jq .username'],
  );

  examples(
    withOutput(program.command('status').description('server reachability, API version and readiness')).action(async (_o, cmd: Command) => {
      const opts = options(cmd);
      const target = resolveTarget(opts);
      const probe = async (pathname: string) => {
        try {
          const r = await fetch(`${target.server}${pathname}`, { signal: AbortSignal.timeout(10_000) });
          return { status: r.status, body: r.ok && (r.headers.get('content-type') ?? '').includes('json') ? ((await r.json()) as unknown) : undefined };
        } catch (err) {
          return { status: 0, error: err instanceof Error ? err.message : String(err) };
        }
      };
      const [registry, api] = await Promise.all([probe('/v2/'), probe('/api/openapi.json')]);
      const info = (api.body as { info?: { version?: string; title?: string } } | undefined)?.info;
      const status = {
        server: target.server,
        registry: { ready: registry.status === 200 || registry.status === 401, status: registry.status },
        api: { ready: api.status === 200, status: api.status, version: info?.version ?? null },
      };
      await printObject(status, [['server', status.server], ['registry', status.registry.ready ? 'ready' : `unavailable (${registry.status || registry.error})`], ['api', status.api.ready ? `ready (API version ${status.api.version ?? '?'})` : `unavailable (${api.status || api.error})`]], opts);
      if (!status.registry.ready || !status.api.ready) process.exitCode = EXIT.unavailable;
    }),
    ['docksphere status', 'docksphere status --server http://127.0.0.1:5000 --json'],
  );

  const context = program.command('context').description('servers the CLI has logged in to (contexts)');
  examples(
    withOutput(context.command('ls').description('list contexts')).action(async (_o, cmd: Command) => {
      const data = loadContexts();
      const rows = data.contexts.map((c) => ({ ...c, current: c.name === data.current, credentials: loadCredentials(registryHost(c.server)) ? credentialsLocation(registryHost(c.server)).kind : 'none' }));
      await printList(rows, [{ header: '', value: (r) => (r.current ? '*' : '') }, { header: 'NAME', value: (r) => r.name }, { header: 'SERVER', value: (r) => r.server }, { header: 'USER', value: (r) => r.username }, { header: 'CREDENTIALS', value: (r) => r.credentials }], options(cmd));
    }),
    ['docksphere context ls'],
  );
  examples(
    context.command('use').description('make a context current').argument('<name>').action((name: string) => {
      const data = loadContexts();
      if (!data.contexts.some((c) => c.name === name)) throw new CliError(`no context named ${name} (see: docksphere context ls)`, EXIT.notFound);
      saveContexts({ ...data, current: name });
      success(`Using ${name}`);
    }),
    ['docksphere context use registry.example.com'],
  );
  examples(
    withYes(context.command('rm').description('forget a context and its stored credentials (the token stays valid: use logout to revoke it)').argument('<name>')).action(async (name: string, _o, cmd: Command) => {
      const data = loadContexts();
      const found = data.contexts.find((c) => c.name === name);
      if (!found) throw new CliError(`no context named ${name} (see: docksphere context ls)`, EXIT.notFound);
      await confirmDestructive(options(cmd), `Forget context ${name} and its credentials`);
      eraseCredentials(registryHost(found.server));
      removeContext(name);
      success(`Removed context ${name}`);
    }),
    ['docksphere context rm old.example.com --yes'],
  );
}

