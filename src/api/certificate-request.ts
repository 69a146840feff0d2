// A certificate a Gateway listener asks Vault PKI for (tls.options portico.dev/vault-pki-*). The gateway
// translator only names it; the PKI issuer (providers/secrets/vault-pki.ts) issues it and publishes it into the store as the
// Secret `<namespace>/<secretName>`, which the translator then serves like any other Secret.

export interface CertificateRequest {
  namespace: string;
  /** `vault-pki:<common name>:<hash of the request>`: the ':' keeps it apart from every Secret a user can name. */
  secretName: string;
  /** The PKI mount, e.g. `pki` or `pki/gateways`. */
  mount: string;
  role: string;
  commonName: string;
  /** DNS subject alternative names besides the common name; sorted. */
  altNames: string[];
  /** Requested lifetime in seconds; absent: the role's default. */
  ttlSeconds?: number;
  /** Who asked, for messages: `Gateway default/gw listener shop`; sorted. */
  requestedBy: string[];
}

/** Where a request is sent: `<mount>/issue/<role>`. */
export function issuePath(r: Pick<CertificateRequest, 'mount' | 'role'>): string {
  return `${r.mount}/issue/${r.role}`;
}
