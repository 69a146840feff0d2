// Who an xDS client is, and what that lets it receive. An identity is written as a path:
// `gateway/<namespace>/<name>` (the Envoy of one Gateway), `service/extauth`, `service/ratelimit`. The same path
// is what a client certificate carries as its SPIFFE ID (`spiffe://<trust-domain>/<path>`, a URI SAN, as Vault
// PKI issues with `uri_sans`) and what the tokens file pairs with each token. Pure: no I/O, no gRPC.
import { X509Certificate } from 'node:crypto';
import { secretEquals } from '../../lib/bearer.ts';
import { SERVICE_NODE_KEYS } from '../../contracts/service-config.ts';

export type ServiceName = keyof typeof SERVICE_NODE_KEYS;

export type XdsIdentity =
  | { kind: 'gateway'; namespace: string; name: string }
  | { kind: 'service'; service: ServiceName }
  /**
   * Nobody was asked to prove anything: the server has no client authentication configured, which is
   * only allowed on loopback or with --xds-allow-insecure. It may receive every node's config.
   */
  | { kind: 'anonymous' };

export const ANONYMOUS: XdsIdentity = { kind: 'anonymous' };

export const DEFAULT_TRUST_DOMAIN = 'portico.local';

/** A Kubernetes object name (DNS-1123 subdomain), as Gateway keys use. */
const NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
/** A SPIFFE trust domain: lowercase letters, digits, dots, dashes and underscores. */
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

/** `gateway/<ns>/<name>`, `service/extauth` or `service/ratelimit` → the identity; anything else → undefined. */
export function parseIdentity(path: string): XdsIdentity | undefined {
  const parts = path.split('/');
  if (parts[0] === 'gateway' && parts.length === 3) {
    const [, namespace, name] = parts as [string, string, string];
    return NAME.test(namespace) && NAME.test(name) ? { kind: 'gateway', namespace, name } : undefined;
  }
  if (parts[0] === 'service' && parts.length === 2 && Object.hasOwn(SERVICE_NODE_KEYS, parts[1]!)) {
    return { kind: 'service', service: parts[1] as ServiceName };
  }
  return undefined;
}

export function formatIdentity(id: XdsIdentity): string {
  if (id.kind === 'gateway') return `gateway/${id.namespace}/${id.name}`;
  if (id.kind === 'service') return `service/${id.service}`;
  return 'anonymous';
}

export function isTrustDomain(domain: string): boolean {
  return TRUST_DOMAIN.test(domain);
}

/** The SPIFFE ID a certificate for `id` carries: what Vault PKI's `uri_sans` (and a role's `allowed_uri_sans`) name. */
export function spiffeId(id: XdsIdentity, trustDomain: string): string {
  return `spiffe://${trustDomain}/${formatIdentity(id)}`;
}

/** A SPIFFE ID of `trustDomain` naming a Portico identity → that identity; another domain or path → undefined. */
export function identityFromSpiffeId(uri: string, trustDomain: string): XdsIdentity | undefined {
  const prefix = `spiffe://${trustDomain}/`;
  return uri.startsWith(prefix) ? parseIdentity(uri.slice(prefix.length)) : undefined;
}

export type CertificateIdentity = { ok: true; identity: XdsIdentity } | { ok: false; reason: string };

/**
 * The identity in a (verified) client certificate: exactly one URI SAN that is a Portico SPIFFE ID of the
 * trust domain. None, or two naming different identities, is refused: a certificate must say who it is.
 */
export function identityFromCertificate(der: Buffer, trustDomain: string): CertificateIdentity {
  let sans: string;
  try {
    sans = new X509Certificate(der).subjectAltName ?? '';
  } catch {
    return { ok: false, reason: 'the client certificate cannot be parsed' };
  }
  const uris = uriSansOf(sans);
  const found = new Map<string, XdsIdentity>();
  for (const uri of uris) {
    const id = identityFromSpiffeId(uri, trustDomain);
    if (id) found.set(formatIdentity(id), id);
  }
  if (found.size === 1) return { ok: true, identity: [...found.values()][0]! };
  if (found.size > 1) return { ok: false, reason: `the client certificate names several identities (${[...found.keys()].join(', ')})` };
  const seen = uris.length ? `its URI SANs are ${uris.join(', ')}` : 'it has no URI SAN';
  return { ok: false, reason: `the client certificate carries no identity spiffe://${trustDomain}/{gateway/<namespace>/<name>|service/extauth|service/ratelimit} (${seen})` };
}

/** The URI SANs of a certificate (PEM or DER); [] when it cannot be parsed. */
export function certificateUris(cert: string | Buffer): string[] {
  try {
    return uriSansOf(new X509Certificate(cert).subjectAltName ?? '');
  } catch {
    return [];
  }
}

/** The `URI:` entries of Node's subjectAltName text (values with special characters come JSON-quoted). */
function uriSansOf(subjectAltName: string): string[] {
  const out: string[] = [];
  for (const m of subjectAltName.matchAll(/(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[1]!;
    out.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}

/**
 * The node keys an identity may ask for (`node.cluster`): a gateway proxy only its own Gateway, each service
 * only its own configuration. The anonymous identity may ask for anything (no client authentication is on).
 */
export function allows(id: XdsIdentity, nodeKey: string): boolean {
  if (id.kind === 'anonymous') return true;
  if (id.kind === 'gateway') return nodeKey === `${id.namespace}/${id.name}`;
  return nodeKey === SERVICE_NODE_KEYS[id.service];
}

// ---- per-identity tokens ----

export interface TokenEntry {
  identity: XdsIdentity;
  token: string;
}

/** Why a tokens file cannot be used; `line` is 1-based. The message never contains a token. */
export class TokensFileError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/**
 * Parses a tokens file: one `<identity> <token>` per line (`gateway/team-a/gw 3f9c…`), `#` comments and blank
 * lines ignored. A token is one word of visible ASCII (it travels as an HTTP/2 header value) and names one
 * identity only; an identity may have several tokens (to rotate one without a gap).
 */
export function parseTokens(text: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [path, token, ...rest] = line.split(/\s+/);
    const identity = parseIdentity(path!);
    if (!identity) throw new TokensFileError(i + 1, `'${path}' is not an identity (gateway/<namespace>/<name>, service/extauth or service/ratelimit)`);
    if (!token || rest.length) throw new TokensFileError(i + 1, `expected '<identity> <token>' (one word of visible ASCII) after ${path}`);
    if (!/^[\x21-\x7e]+$/.test(token)) throw new TokensFileError(i + 1, `the token of ${path} must be visible ASCII characters`);
    if (entries.some((e) => e.token === token)) throw new TokensFileError(i + 1, `the token of ${path} is also given to another line: a token names one identity`);
    entries.push({ identity, token });
  });
  return entries;
}

/**
 * The identity a presented token belongs to. Every entry is compared, in constant time, whatever matches:
 * neither which token matched nor how many there are shows in the time taken.
 */
export function identityOfToken(entries: readonly TokenEntry[], presented: string): XdsIdentity | undefined {
  let found: XdsIdentity | undefined;
  for (const e of entries) if (secretEquals(presented, e.token)) found = e.identity;
  return found;
}

/** The tokens a server accepts now: replaced as a whole when the tokens file changes (a revoked token stops working at once). */
export class TokenTable {
  #entries: readonly TokenEntry[];

  constructor(entries: readonly TokenEntry[]) {
    this.#entries = entries;
  }

  get size(): number {
    return this.#entries.length;
  }

  identify(presented: string): XdsIdentity | undefined {
    return identityOfToken(this.#entries, presented);
  }

  replace(entries: readonly TokenEntry[]): void {
    this.#entries = entries;
  }
}
