// A certificate authority made by a test with openssl: a CA certificate to trust, and server
// certificates it signs for the names and addresses a test serves HTTPS on.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export interface IssuedCertificate {
  certFile: string;
  keyFile: string;
}

export interface TestCa {
  /** The CA certificate (PEM) clients trust. */
  caFile: string;
  /** Signs a fresh key and certificate for these DNS names and IP addresses into dir/<name>.crt|.key. */
  issue(name: string, hosts: readonly string[]): IssuedCertificate;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(dir: string): TestCa {
  const caKey = path.join(dir, 'ca.key');
  const caFile = path.join(dir, 'ca.crt');
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=DockSphere test CA']);
  let serial = 0;
  return {
    caFile,
    issue(name, hosts) {
      const keyFile = path.join(dir, `${name}.key`);
      const certFile = path.join(dir, `${name}.crt`);
      const csr = path.join(dir, `${name}.csr`);
      const ext = path.join(dir, `${name}.ext`);
      const altNames = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
      writeFileSync(ext, `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${hosts[0] ?? name}`]);
      serial += 1;
      openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(Date.now() * 100 + serial), '-days', '1', '-out', certFile, '-extfile', ext]);
      return { certFile, keyFile };
    },
  };
}
