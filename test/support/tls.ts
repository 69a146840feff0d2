// Throwaway certificates for TLS tests, made with the openssl CLI: a CA, and certificates it issues for
// whatever names a test needs. Without openssl the test fails and says how to install it (never skips).
import { execFileSync } from 'node:child_process';
import { connect } from 'node:tls';
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

/** Writes each certificate and key into `dir` (owner-only, as keys should be) and returns their paths. */
export function writeCertificates(certs: TestCertificates, dir: string): Record<keyof TestCertificates, string> {
  const paths = Object.entries(certs).map(([name, pem]) => {
    const path = join(dir, `${name}.pem`);
    writeFileSync(path, pem, { mode: 0o600 });
    return [name, path];
  });
  return Object.fromEntries(paths) as Record<keyof TestCertificates, string>;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: 'pipe' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error("openssl not found: TLS tests make their certificates with it; install it (Debian: 'apt-get install openssl')");
    throw err;
  }
}

/** Runs `work` in a fresh temp folder with an `openssl` runner, and removes the folder afterwards. */
function inTempDir<T>(work: (openssl: (...args: string[]) => void, path: (name: string) => string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'portico-tls-'));
  try {
    return work((...args) => void openssl(args, dir), (name) => join(dir, name));
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

/** A client certificate whose identity is the URI SAN `uri` (a SPIFFE ID such as Vault PKI issues with `uri_sans`). */
export function issueUriCertificate(ca: KeyPair, uri: string): KeyPair {
  return issueCertificate(ca, uri.split('/').pop() || 'client', `subjectAltName=URI:${uri}\nextendedKeyUsage=clientAuth`);
}

export interface IdentityCertificates {
  ca: KeyPair;
  server: KeyPair;
  /** One client certificate per SPIFFE ID asked for. */
  clients: Record<string, KeyPair>;
}

/** A CA, a server certificate for 127.0.0.1/localhost, and a client certificate for each SPIFFE ID. */
export function makeIdentityCertificates(spiffeIds: string[]): IdentityCertificates {
  const ca = makeCa();
  const server = issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  return { ca, server, clients: Object.fromEntries(spiffeIds.map((id) => [id, issueUriCertificate(ca, id)])) };
}

/** The SHA-256 fingerprint of the certificate a new TLS connection to 127.0.0.1:`port` is served (offering h2 for gRPC and http/1.1 for HTTPS). */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}
