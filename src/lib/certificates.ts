// Checking a TLS certificate and its private key before they reach Envoy, which would otherwise reject the
// whole listener. Messages name the part at fault (`tls.crt`, `tls.key`), never its content.
import { createPrivateKey, X509Certificate } from 'node:crypto';

export type KeyPairCheck =
  | { ok: true; /** DNS names the leaf certificate is for (SANs, else its CN): what SNI can select it by. */ names: string[] }
  | { ok: false; field: 'tls.crt' | 'tls.key'; message: string };

export function checkKeyPair(cert: string | undefined, key: string | undefined): KeyPairCheck {
  if (!cert) return { ok: false, field: 'tls.crt', message: 'is missing or empty' };
  if (!key) return { ok: false, field: 'tls.key', message: 'is missing or empty' };
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert); // the first certificate of the chain
  } catch {
    return { ok: false, field: 'tls.crt', message: 'is not a PEM certificate' };
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    return { ok: false, field: 'tls.key', message: 'is not a PEM private key (encrypted keys are not supported)' };
  }
  if (!leaf.checkPrivateKey(privateKey)) return { ok: false, field: 'tls.key', message: 'does not match the certificate in tls.crt' };
  return { ok: true, names: certificateNames(leaf) };
}

function certificateNames(leaf: X509Certificate): string[] {
  const sans = (leaf.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  if (sans.length) return sans;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return cn ? [cn] : [];
}

/** When the leaf certificate of a PEM chain expires, in ms since the epoch; undefined when it is not a certificate. */
export function notAfterOf(pem: string): number | undefined {
  try {
    return new X509Certificate(pem).validToDate.getTime();
  } catch {
    return undefined;
  }
}

/** SHA-256 of the certificate: what logs show instead of the certificate (never the key). */
export function fingerprintOf(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return 'not a certificate';
  }
}
