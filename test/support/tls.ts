// Throwaway certificates for TLS tests: a CA, a server certificate for 127.0.0.1/localhost, and a client
// certificate, all made with the openssl CLI (skip the test when `opensslAvailable` is false).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export const opensslAvailable = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Writes each certificate and key into `dir` (owner-only, as keys should be) and returns their paths. */
export function writeCertificates(certs: TestCertificates, dir: string): Record<keyof TestCertificates, string> {
  const paths = Object.entries(certs).map(([name, pem]) => {
    const path = join(dir, `${name}.pem`);
    writeFileSync(path, pem, { mode: 0o600 });
    return [name, path];
  });
  return Object.fromEntries(paths) as Record<keyof TestCertificates, string>;
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'portico-tls-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    openssl('req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=portico-test-ca', '-days', '1');
    const issue = (name: string, cn: string, ext: string) => {
      writeFileSync(path(`${name}.ext`), `${ext}\n`);
      openssl('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
    };
    issue('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    issue('client', 'envoy', 'extendedKeyUsage=clientAuth');
    const read = (name: string) => readFileSync(path(name), 'utf8');
    return { ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: read('client.crt'), clientKey: read('client.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
