// HTTPS listeners: `tls.certificateRefs` → the Secrets they serve (checked as certificate/key pairs) and
// `tls.options` → TLS versions, cipher suites, and a certificate from Vault PKI (gatewayapi/pki.ts). A bad reference is reported on the listener
// (ResolvedRefs=False) and the listener serves its other certificates; with none left it is not programmed.
import { issuePath, type CertificateRequest } from '../api/certificate-request.ts';
import type { SecretSpec } from '../api/core-types.ts';
import type { GatewayListener, SecretObjectReference } from '../api/gateway-types.ts';
import type { Resource } from '../api/resource.ts';
import type { SecretIr, TlsChainIr, TlsVersionIr } from '../ir/types.ts';
import { checkKeyPair } from '../lib/certificates.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { notIssuedYet, PKI_OPTIONS, pkiRequest } from './pki.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { Because } from './status.ts';

export type TlsParams = Pick<TlsChainIr, 'minVersion' | 'maxVersion' | 'cipherSuites'>;

export interface ListenerTls {
  /** The valid certificates, in certificateRefs order (then the one from Vault PKI). */
  secrets: SecretIr[];
  params: TlsParams;
  /** The certificate to ask Vault PKI for, when the options say so. */
  certificateRequest?: CertificateRequest;
}

export interface TlsCheck {
  tls: ListenerTls;
  /** Some certificateRefs cannot be used (ResolvedRefs=False). */
  unresolved?: Because;
  /** The options are invalid: the listener is not accepted. */
  refused?: Because;
}

/** `tls.options` keys Portico reads; other prefixes belong to other implementations and are ignored. */
const TLS_OPTIONS = {
  minVersion: 'portico.dev/min-tls-version',
  maxVersion: 'portico.dev/max-tls-version',
  cipherSuites: 'portico.dev/cipher-suites',
} as const;

const VERSIONS: readonly TlsVersionIr[] = ['1.0', '1.1', '1.2', '1.3'];

/** The TLS 1.2 suites Envoy's BoringSSL accepts by name (TLS 1.3 suites are not configurable). */
const CIPHER_SUITES: ReadonlySet<string> = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-PSK-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-PSK-AES128-CBC-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'ECDHE-PSK-AES256-CBC-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'PSK-AES128-CBC-SHA',
  'AES256-SHA',
  'PSK-AES256-CBC-SHA',
  'DES-CBC3-SHA',
]);

/** The SDS name of a Secret's certificate. */
export function secretName(namespace: string, name: string): string {
  return `secret/${namespace}/${name}`;
}

export function checkListenerTls(gw: Resource, spec: GatewayListener, field: string, index: ResourceIndex, problems: FieldProblem[]): TlsCheck {
  const secrets: SecretIr[] = [];
  const issues: Because[] = [];
  const names: string[] = [];
  const use = (resolved: ResolvedCertificate, at: string) => {
    if ('reason' in resolved) {
      issues.push(resolved);
      problems.push(problemAt(gw, at, resolved.message));
    } else if (!secrets.some((s) => s.name === resolved.secret.name)) {
      secrets.push(resolved.secret);
      names.push(...resolved.names);
    }
  };
  (spec.tls?.certificateRefs ?? []).forEach((ref, i) => use(resolveCertificate(gw, ref, index), `${field}.tls.certificateRefs[${i}]`));
  const pki = pkiRequest(gw, spec, index.pkiRolePermitted);
  if (pki.request) use(resolvePkiCertificate(pki.request, index), `${field}.tls.options`);
  else if (pki.refused) use(pki.refused, `${field}.tls.options`);
  else if (!spec.tls?.certificateRefs?.length) use({ reason: 'InvalidCertificateRef', message: `no certificate: name one in tls.certificateRefs or ask Vault PKI for one (${PKI_OPTIONS.role})` }, `${field}.tls`);
  if (spec.hostname && secrets.length && !names.some((n) => certificateCovers(n, spec.hostname as string))) {
    problems.push(problemAt(gw, `${field}.hostname`, `no certificate of this listener is for ${spec.hostname} (they are for ${names.join(', ') || 'no DNS name'}); clients will reject it`));
  }
  const read = readOptions(spec.tls?.options ?? {});
  const problem = [read.problem, pki.problem].filter(Boolean).join('; ') || undefined;
  if (problem) problems.push(problemAt(gw, `${field}.tls.options`, problem));
  const [first] = issues;
  return {
    tls: { secrets, params: read.params, ...(pki.request && { certificateRequest: pki.request }) },
    ...(first && { unresolved: { reason: first.reason, message: issues.map((x) => x.message).join('; ') } }),
    ...(problem && { refused: { reason: 'UnsupportedValue', message: problem } }),
  };
}

export type ResolvedCertificate = { secret: SecretIr; names: string[] } | Because;

/** A usable certificate, or why not, with the Gateway API's reasons: permission first, then the reference itself. */
function resolveCertificate(gw: Resource, ref: SecretObjectReference, index: ResourceIndex): ResolvedCertificate {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Secret';
  const namespace = ref.namespace ?? gw.metadata.namespace;
  const target = `${kind} ${namespace}/${ref.name}`;
  const refused = index.refusal(gw, { group, kind, namespace, name: ref.name });
  if (refused) return refused;
  if (group !== '' || kind !== 'Secret') {
    return { reason: 'InvalidCertificateRef', message: `${target} (group ${group || 'core'}): certificates come from core Secrets (group "", kind Secret)` };
  }
  const secret = index.secret(namespace, ref.name);
  if (!secret) return { reason: 'InvalidCertificateRef', message: `${target} not found (no secret source has ${namespace}/${ref.name})` };
  return usableSecret(secret, target);
}

/** The certificate the PKI issuer published for the request; until then, why there is none. */
function resolvePkiCertificate(request: CertificateRequest, index: ResourceIndex): ResolvedCertificate {
  const secret = index.secret(request.namespace, request.secretName);
  if (!secret) return { reason: 'InvalidCertificateRef', message: notIssuedYet(request) };
  return usableSecret(secret, `certificate for ${request.commonName} from Vault PKI (${issuePath(request)})`);
}

/** A Secret whose pair checks out, as an SDS certificate; messages name `what`, never the content. */
export function usableSecret(secret: Resource<SecretSpec>, what: string): ResolvedCertificate {
  const { 'tls.crt': cert, 'tls.key': key } = secret.spec.stringData;
  const check = checkKeyPair(cert, key);
  if (!check.ok) return { reason: 'InvalidCertificateRef', message: `${what}: ${check.field} ${check.message}` };
  return { secret: { name: secretName(secret.metadata.namespace, secret.metadata.name), certificateChain: cert as string, privateKey: key as string }, names: check.names };
}

/** TLS name matching (RFC 6125), unlike Gateway API hostnames: a wildcard stands for exactly one label. */
function certificateCovers(name: string, host: string): boolean {
  if (name === host) return true;
  const dot = host.indexOf('.');
  return name.startsWith('*.') && !host.startsWith('*') && dot > 0 && host.slice(dot) === name.slice(1);
}

function readOptions(options: Record<string, string>): { params: TlsParams; problem?: string } {
  const bad: string[] = [];
  const version = (key: string) => {
    const value = options[key];
    if (value === undefined) return undefined;
    if ((VERSIONS as readonly string[]).includes(value)) return value as TlsVersionIr;
    bad.push(`${key}: ${JSON.stringify(value)} is not one of ${VERSIONS.join(', ')}`);
    return undefined;
  };
  const minVersion = version(TLS_OPTIONS.minVersion);
  const maxVersion = version(TLS_OPTIONS.maxVersion);
  if (minVersion && maxVersion && minVersion > maxVersion) bad.push(`${TLS_OPTIONS.minVersion} ${minVersion} is above ${TLS_OPTIONS.maxVersion} ${maxVersion}`);
  const cipherSuites = options[TLS_OPTIONS.cipherSuites]?.split(',').map((c) => c.trim()).filter(Boolean);
  const unknownSuites = (cipherSuites ?? []).filter((c) => !CIPHER_SUITES.has(c));
  if (unknownSuites.length) bad.push(`${TLS_OPTIONS.cipherSuites}: unknown cipher suite(s) ${unknownSuites.join(', ')} (use BoringSSL names such as ECDHE-ECDSA-AES128-GCM-SHA256)`);
  const known = [...Object.values(TLS_OPTIONS), ...Object.values(PKI_OPTIONS)] as string[];
  for (const key of Object.keys(options).sort()) {
    if (key.startsWith('portico.dev/') && !known.includes(key)) bad.push(`unknown option ${key} (Portico reads ${known.join(', ')})`);
  }
  const params: TlsParams = { ...(minVersion && { minVersion }), ...(maxVersion && { maxVersion }), ...(cipherSuites?.length && { cipherSuites }) };
  return bad.length ? { params, problem: bad.join('; ') } : { params };
}
