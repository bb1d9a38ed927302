// Runs a real OpenLDAP slapd for the LDAP tests: a throwaway mdb directory on a free loopback
// port, seeded with people and groups through the root DN.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'ldapts';
import { freePort, hasCommand, makeTempDir, ServerProcess, waitUntil } from '@docksphere/infra';

export const SLAPD = '/usr/sbin/slapd';
export const BASE_DN = 'dc=example,dc=org';
const ROOT_DN = `cn=admin,${BASE_DN}`;
const ROOT_PASSWORD = 'root-secret';

export function slapdAvailable(): boolean {
  return hasCommand(SLAPD);
}

export interface RunningSlapd {
  url: string;
  /** Runs fn with a client bound as the directory's root. */
  asRoot<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export async function startSlapd(): Promise<RunningSlapd> {
  const temp = makeTempDir('slapd');
  const data = path.join(temp.dir, 'data');
  mkdirSync(data);
  const conf = path.join(temp.dir, 'slapd.conf');
  writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `pidfile ${path.join(temp.dir, 'slapd.pid')}`,
      'database mdb',
      'maxsize 104857600',
      `suffix "${BASE_DN}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PASSWORD}`,
      `directory ${data}`,
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const server = new ServerProcess('slapd', SLAPD, ['-d', '0', '-h', `${url}/`, '-f', conf], { cwd: temp.dir });
  const asRoot = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ url, timeout: 5000, connectTimeout: 5000 });
    try {
      await client.bind(ROOT_DN, ROOT_PASSWORD);
      return await fn(client);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  };
  try {
    await waitUntil(`slapd on ${port}`, () => asRoot(async () => true).catch(() => false), { abort: () => server.exitedReason() });
    await asRoot(async (c) => {
      await c.add(BASE_DN, { objectClass: ['dcObject', 'organization'], dc: 'example', o: 'Example' });
      await c.add(`ou=people,${BASE_DN}`, { objectClass: 'organizationalUnit', ou: 'people' });
      await c.add(`ou=groups,${BASE_DN}`, { objectClass: 'organizationalUnit', ou: 'groups' });
    });
  } catch (err) {
    await server.stop();
    temp.remove();
    throw err;
  }
  return {
    url,
    asRoot,
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}

export async function addPerson(slapd: RunningSlapd, uid: string, password: string, mail: string, cn: string): Promise<string> {
  const dn = `uid=${uid},ou=people,${BASE_DN}`;
  await slapd.asRoot((c) => c.add(dn, { objectClass: ['inetOrgPerson'], uid, cn, sn: cn, mail, userPassword: password }));
  return dn;
}

export async function addGroup(slapd: RunningSlapd, cn: string, memberDns: string[]): Promise<void> {
  await slapd.asRoot((c) => c.add(`cn=${cn},ou=groups,${BASE_DN}`, { objectClass: 'groupOfNames', cn, member: memberDns }));
}
