// Gloo's AuthConfig (enterprise.gloo.solo.io/v1) and the `extauth` option, with Gloo's field names. Auth kinds
// Portico does not implement are named with the reason; cross-field rules check step names and booleanExpr.
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { parseExpr, stepsOf } from '../../contracts/auth-expr.ts';
import { PROTO_DURATION_PATTERN } from '../duration.ts';
import { controlCharProblem, headerName, namespaceName, objectName, qualifiedName, labelValue } from './common.ts';
import { bool, int, list, map, obj, required, str, unsupported, type ObjectSchema, type Rule } from './schema.ts';

const duration = str({ pattern: PROTO_DURATION_PATTERN, patternName: 'duration (seconds with an "s": 5s, 0.25s)' });
const objectRef = obj({ name: required(objectName), namespace: namespaceName });

const httpUrl = str({
  minLength: 1,
  check: (u) => {
    try {
      return ['http:', 'https:'].includes(new URL(u).protocol) ? undefined : 'must be an http:// or https:// URL';
    } catch {
      return 'must be an absolute http:// or https:// URL';
    }
  },
});

const hostPort = str({ pattern: /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, patternName: 'address (HOST:PORT)' });

/** The base64 alphabet htpasswd and Gloo use for salts and hashes. */
const aprText = (min: number, max: number) => str({ pattern: /^[./0-9A-Za-z]+$/, patternName: 'apr1 value (letters, digits, . and /)', minLength: min, maxLength: max });
const userName = str({ pattern: /^[^:\s]+$/, patternName: "user name (no ':' or spaces)", maxLength: 255 });

const oneUserSource: Rule = (b: { apr?: unknown; htpasswd?: unknown }, report) => {
  if (!b.apr && !b.htpasswd) report([], 'set apr.users or htpasswd.secretRef (nobody could log in)');
};

const basicAuth = obj(
  {
    // Sent back in the WWW-Authenticate header.
    realm: str({ maxLength: 256, check: (r) => (r.includes('"') ? 'must not contain "' : controlCharProblem(r)) }),
    apr: obj({ users: required(map(userName, obj({ salt: required(aprText(1, 8)), hashedPassword: required(aprText(22, 22)) }))) }),
    htpasswd: obj({ secretRef: required(objectRef), key: str({ minLength: 1 }) }),
    encryption: unsupported('basicAuth.encryption/userList (Gloo 1.17) are not supported by Portico yet; use apr.users or htpasswd'),
    userList: unsupported('basicAuth.encryption/userList (Gloo 1.17) are not supported by Portico yet; use apr.users or htpasswd'),
  },
  oneUserSource,
);

const oneKeySource: Rule = (a: { apiKeySecretRefs?: unknown; labelSelector?: unknown }, report) => {
  if (!a.apiKeySecretRefs && !a.labelSelector) report([], 'set apiKeySecretRefs or labelSelector (no key would be accepted)');
};

const apiKeyAuth = obj(
  {
    headerName,
    apiKeySecretRefs: list(objectRef, { min: 1 }),
    labelSelector: map(qualifiedName, labelValue),
    headersFromMetadataEntry: map(headerName, obj({ name: required(str({ minLength: 1 })), required: bool })),
    k8sSecretApikeyStorage: unsupported('use apiKeySecretRefs and labelSelector directly under apiKeyAuth'),
    aerospikeApikeyStorage: unsupported('Aerospike API key storage is not supported by Portico'),
    headersFromMetadata: unsupported('use headersFromMetadataEntry'),
  },
  oneKeySource,
);

/**
 * A local JWKS, read the way the ext-auth service reads it (jose's createLocalJWKSet: a bad document would make
 * the service refuse the whole configuration it is sent), and each public key parsed by Node's crypto, which
 * WebCrypto's importKey (what jose calls, asynchronously, when a token names the key) parses it with.
 */
const jwks = str({ minLength: 1, check: jwksProblem });

function jwksProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'must be a JWKS document in JSON ({"keys": [...]}); PEM keys are not supported';
  }
  try {
    createLocalJWKSet(doc as JSONWebKeySet);
  } catch (err) {
    return `is not a JWKS jose can read (${(err as Error).message}): it must be {"keys": [<JWK objects>]}`;
  }
  const keys = (doc as JSONWebKeySet).keys;
  for (const [i, key] of keys.entries()) {
    if (key.kty === 'oct') continue; // a shared secret, not a public key
    try {
      createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    } catch (err) {
      return `keys[${i}] cannot be imported as a public key (${(err as Error).message})`;
    }
  }
  return undefined;
}

const oneJwks: Rule = (j: { remote?: unknown; local?: unknown }, report) => {
  if (Boolean(j.remote) === Boolean(j.local)) report([], 'set exactly one of remote and local');
};

const jwtProvider = obj({
  issuer: str({ minLength: 1 }),
  audiences: list(str({ minLength: 1 }), { min: 1 }),
  jwks: required(obj({ remote: obj({ url: required(httpUrl), cacheDuration: duration, timeout: duration, upstreamRef: unsupported('give the JWKS url; Portico fetches it itself') }), local: obj({ key: required(jwks) }) }, oneJwks)),
  tokenSource: obj({ headers: list(obj({ header: required(headerName), prefix: str() }), { min: 1 }), queryParams: unsupported('tokens in query parameters are not supported by Portico') }),
  claimsToHeaders: list(obj({ claim: required(str({ minLength: 1 })), header: required(headerName), append: unsupported('claim headers replace any value the client sent') })),
  clockSkewSeconds: int(0, 3600),
  requiredClaims: map(str({ minLength: 1 }), str()),
  requireExpiration: bool,
  keepToken: unsupported('the token is always passed on'),
});

const passThroughAuth = obj(
  {
    grpc: obj({ address: required(hostPort), connectionTimeout: duration, tlsConfig: unsupported('TLS to the auth service is not supported by Portico yet') }),
    http: obj({
      url: required(httpUrl),
      request: obj({ allowedHeaders: list(headerName), passThroughBody: unsupported('request bodies are not forwarded by Portico') }),
      response: obj({ allowedUpstreamHeaders: list(headerName), allowedClientHeadersOnDenied: unsupported('not supported by Portico yet') }),
      connectionTimeout: duration,
    }),
    config: unsupported('passThroughAuth.config is not supported by Portico'),
    failureModeAllow: bool,
  },
  (p: { grpc?: unknown; http?: unknown }, report) => {
    if (Boolean(p.grpc) === Boolean(p.http)) report([], 'set exactly one of grpc and http');
  },
);

const STEP_KINDS = ['basicAuth', 'apiKeyAuth', 'jwt', 'passThroughAuth'];
const otherKind = (what: string) => unsupported(`${what} is not supported by Portico yet (basicAuth, apiKeyAuth, jwt and passThroughAuth are)`);

const oneKind: Rule = (s: Record<string, unknown>, report) => {
  const set = STEP_KINDS.filter((k) => s[k] !== undefined);
  if (set.length !== 1) report(set.length ? [set[1] as string] : [], `exactly one of ${STEP_KINDS.join(', ')} must be set${set.length ? ` (got ${set.join(', ')})` : ''}`);
};

const step = obj(
  {
    name: str({ pattern: /^[A-Za-z0-9_.-]+$/, patternName: 'step name (letters, digits, _ . -)', maxLength: 63 }),
    basicAuth,
    apiKeyAuth,
    jwt: obj({ providers: required(map(str({ minLength: 1 }), jwtProvider)) }, (j: { providers: object }, report) => {
      if (!Object.keys(j.providers).length) report(['providers'], 'must name at least one provider');
    }),
    passThroughAuth,
    oauth: otherKind('oauth'),
    oauth2: otherKind('oauth2 (OIDC)'),
    opaAuth: otherKind('opaAuth'),
    ldap: otherKind('ldap'),
    pluginAuth: otherKind('pluginAuth'),
    hmacAuth: otherKind('hmacAuth'),
  },
  oneKind,
);

/** The name a step goes by: its own, or `<kind>-<index>`. */
export function stepName(s: { name?: string } & Record<string, unknown>, i: number): string {
  return s.name ?? `${STEP_KINDS.find((k) => s[k] !== undefined) ?? 'step'}-${i}`;
}

const namesAndExpr: Rule = (spec: { configs: ({ name?: string } & Record<string, unknown>)[]; booleanExpr?: string }, report) => {
  const names = spec.configs.map(stepName);
  names.forEach((n, i) => names.indexOf(n) < i && report(['configs', i, 'name'], `duplicate step name ${JSON.stringify(n)}`));
  if (spec.booleanExpr === undefined) return;
  const parsed = parseExpr(spec.booleanExpr);
  if ('error' in parsed) return report(['booleanExpr'], parsed.error);
  const unknown = stepsOf(parsed.expr).filter((s) => !names.includes(s));
  if (unknown.length) report(['booleanExpr'], `names no step ${unknown.map((u) => JSON.stringify(u)).join(', ')}; steps: ${names.join(', ')}`);
};

export const authConfigSpec: ObjectSchema = obj(
  {
    configs: required(list(step, { min: 1, max: 16 })),
    booleanExpr: str({ minLength: 1 }),
    failureModeAllow: bool,
    failOnRedirect: unsupported('failOnRedirect applies to OIDC, which Portico does not implement yet'),
  },
  namesAndExpr,
);

/** `options.extauth`: Gloo's oneof of configRef and disable (customAuth is another ext-auth server's). */
export const extauthOption = obj(
  { configRef: objectRef, disable: bool, customAuth: unsupported('customAuth is not supported: Portico runs its own ext-auth service') },
  (e: { configRef?: unknown; disable?: boolean }, report) => {
    if ((e.configRef === undefined) === (e.disable === undefined)) report([], 'set exactly one of configRef and disable');
  },
);
