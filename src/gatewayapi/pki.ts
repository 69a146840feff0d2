// Listener `tls.options` that ask Vault PKI for the listener's certificate instead of naming a stored one:
//   portico.dev/vault-pki-role: pki/portico-gateway     <PKI mount>/<role> (required; the mount may have '/')
//   portico.dev/vault-pki-common-name: shop.example.com (default: the listener's hostname)
//   portico.dev/vault-pki-alt-names: www.shop.example.com,shop.internal
//   portico.dev/vault-pki-ttl: 24h                       (Gateway API duration; default: the role's TTL)
// An Upstream asks for its client certificate with the same keys as annotations (upstream-tls.ts).
// The translator stays pure: it turns these into a CertificateRequest and looks up the Secret the issuer
// publishes for it (absent until the first certificate is issued). A role the controller's list does not
// allow for the resource's namespace (pki-roles.ts) is refused before anything is requested.
import { issuePath, type CertificateRequest } from '../api/certificate-request.ts';
import { durationMs } from '../api/duration.ts';
import type { GatewayListener } from '../api/gateway-types.ts';
import type { Resource } from '../api/resource.ts';
import { hashOf } from '../lib/stable.ts';
import type { PkiRolePermission } from './pki-roles.ts';
import { REF_NOT_PERMITTED } from './reference-grants.ts';
import type { Because } from './status.ts';

export const PKI_OPTIONS = {
  role: 'portico.dev/vault-pki-role',
  commonName: 'portico.dev/vault-pki-common-name',
  altNames: 'portico.dev/vault-pki-alt-names',
  ttl: 'portico.dev/vault-pki-ttl',
} as const;

const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** What the options ask for; `problem`: they are invalid; `refused`: the role is not the namespace's to use. */
export type PkiAsk = { request?: CertificateRequest; problem?: string; refused?: Because };

/** The request a listener's options make (undefined without vault-pki-role), or what is wrong with them. */
export function pkiRequest(gw: Resource, spec: GatewayListener, permitted: PkiRolePermission): PkiAsk {
  const by = `Gateway ${gw.metadata.namespace}/${gw.metadata.name} listener ${spec.name}`;
  return pkiRequestFrom(spec.tls?.options ?? {}, { namespace: gw.metadata.namespace, requestedBy: by, hostname: spec.hostname, owner: 'listener' }, permitted);
}

/**
 * The same keys as an Upstream's annotations ask for its client certificate (there is no hostname to
 * default the common name to).
 */
export function upstreamPkiRequest(u: Resource, permitted: PkiRolePermission): PkiAsk {
  return pkiRequestFrom(u.metadata.annotations ?? {}, { namespace: u.metadata.namespace, requestedBy: `Upstream ${u.metadata.namespace}/${u.metadata.name}`, owner: 'Upstream' }, permitted);
}

function pkiRequestFrom(options: Record<string, string>, who: { namespace: string; requestedBy: string; hostname?: string; owner: string }, permitted: PkiRolePermission): PkiAsk {
  const roleOption = options[PKI_OPTIONS.role];
  if (roleOption === undefined) {
    const stray = Object.values(PKI_OPTIONS).filter((k) => options[k] !== undefined);
    return stray.length ? { problem: `${stray.join(', ')} ${stray.length > 1 ? 'need' : 'needs'} ${PKI_OPTIONS.role}` } : {};
  }
  const bad: string[] = [];
  const slash = roleOption.lastIndexOf('/');
  const mount = roleOption.slice(0, slash);
  const role = roleOption.slice(slash + 1);
  if (slash <= 0 || !role || mount.startsWith('/') || mount.includes('//')) bad.push(`${PKI_OPTIONS.role}: ${JSON.stringify(roleOption)} must be <PKI mount>/<role>, e.g. pki/portico-gateway`);
  const commonName = (options[PKI_OPTIONS.commonName] ?? who.hostname ?? '').toLowerCase();
  if (!commonName) bad.push(`${PKI_OPTIONS.commonName} is required ${who.owner === 'listener' ? 'when the listener has no hostname' : `on an ${who.owner}`}`);
  else if (!HOST.test(commonName)) bad.push(`${PKI_OPTIONS.commonName}: ${JSON.stringify(commonName)} is not a DNS name`);
  const altNames = [...new Set((options[PKI_OPTIONS.altNames] ?? '').split(',').map((n) => n.trim().toLowerCase()).filter(Boolean))].sort();
  const badNames = altNames.filter((n) => !HOST.test(n));
  if (badNames.length) bad.push(`${PKI_OPTIONS.altNames}: ${badNames.join(', ')} not DNS names`);
  const ttl = options[PKI_OPTIONS.ttl];
  const ttlMs = durationMs(ttl);
  if (ttl !== undefined && (ttlMs === undefined || ttlMs < 1000)) bad.push(`${PKI_OPTIONS.ttl}: ${JSON.stringify(ttl)} is not a duration of at least 1s (e.g. 30s, 24h)`);
  if (bad.length) return { problem: bad.join('; ') };
  if (!permitted(who.namespace, mount, role)) return { refused: roleNotPermitted(roleOption, who.namespace) };
  const wanted = { mount, role, commonName, altNames, ...(ttlMs !== undefined && { ttlSeconds: Math.round(ttlMs / 1000) }) };
  return { request: { namespace: who.namespace, secretName: `vault-pki:${commonName}:${hashOf(wanted).slice(0, 10)}`, ...wanted, requestedBy: [who.requestedBy] } };
}

/**
 * Made only of what the referrer wrote and its own namespace: nothing says which namespaces may use the role,
 * nor whether it exists in Vault (Vault is not asked).
 */
function roleNotPermitted(roleOption: string, namespace: string): Because {
  return { reason: REF_NOT_PERMITTED, message: `${PKI_OPTIONS.role} ${JSON.stringify(roleOption)} is not permitted in namespace ${namespace}: the controller's secrets.vault.pki.roles does not list it for ${namespace}, so no certificate is requested` };
}

/** Why the listener has no certificate yet: the issuer has not published one (Vault not configured, or failing). */
export function notIssuedYet(r: CertificateRequest): string {
  return `certificate for ${r.commonName} from Vault PKI (${issuePath(r)}) is not issued yet; the controller issues it when secrets.vault is configured (see its log and /healthz)`;
}

/** The same certificate asked for by several listeners is issued once. */
export function mergeRequests(requests: CertificateRequest[]): CertificateRequest[] {
  const byName = new Map<string, CertificateRequest>();
  for (const r of requests) {
    const key = `${r.namespace}/${r.secretName}`;
    const seen = byName.get(key);
    byName.set(key, seen ? { ...seen, requestedBy: [...new Set([...seen.requestedBy, ...r.requestedBy])].sort() } : r);
  }
  return [...byName.values()].sort((a, b) => (`${a.namespace}/${a.secretName}` < `${b.namespace}/${b.secretName}` ? -1 : 1));
}
