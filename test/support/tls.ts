// Throwaway certificates for TLS tests, made with the openssl CLI (skip the test when `opensslAvailable` is
// false): a CA, and certificates it issues for whatever names a test needs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

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

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Runs `work` in a fresh temp folder with an `openssl` runner, and removes the folder afterwards. */
function inTempDir<T>(work: (openssl: (...args: string[]) => void, path: (name: string) => string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'portico-tls-'));
  try {
    return work((...args) => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }), (name) => join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function makeCa(cn = 'portico-test-ca'): KeyPair {
  return inTempDir((openssl, path) => {
    openssl('req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', `/CN=${cn}`, '-days', '1');
    return { cert: readFileSync(path('ca.crt'), 'utf8'), key: readFileSync(path('ca.key'), 'utf8') };
  });
}

/** A certificate signed by `ca` for subject CN `cn`, with `ext` as its extensions (e.g. `subjectAltName=DNS:a.example.com`). */
export function issueCertificate(ca: KeyPair, cn: string, ext: string): KeyPair {
  return inTempDir((openssl, path) => {
    writeFileSync(path('ca.crt'), ca.cert);
    writeFileSync(path('ca.key'), ca.key);
    writeFileSync(path('cert.ext'), `${ext}\n`);
    openssl('req', ...EC_KEY, '-keyout', 'cert.key', '-out', 'cert.csr', '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', 'cert.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.crt', '-days', '1', '-extfile', 'cert.ext');
    return { cert: readFileSync(path('cert.crt'), 'utf8'), key: readFileSync(path('cert.key'), 'utf8') };
  });
}

/** A CA, a server certificate for 127.0.0.1/localhost, and a client certificate. */
export function makeCertificates(): TestCertificates {
  const ca = makeCa();
  const server = issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  const client = issueCertificate(ca, 'envoy', 'extendedKeyUsage=clientAuth');
  return { ca: ca.cert, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key };
}
