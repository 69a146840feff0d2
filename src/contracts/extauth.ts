// The auth part of the IR: each AuthConfig with its secrets resolved, as the ext-auth service gets it over the
// service config stream (plain JSON), and the reference a route or virtual host makes to one. Holds credentials
// (password hashes, API keys and their metadata): printed only through ir/redact.ts.
import type { Expr } from './auth-expr.ts';

/** The context extensions the ext_authz filter sends per route (xds/translator/ext-authz.ts) and the service reads. */
export const AUTH_CONFIG_EXTENSION = 'portico-authconfig';
export const ROUTE_EXTENSION = 'portico-route';

/**
 * Where an allowed check publishes who was authenticated: CheckResponse.dynamic_metadata, which Envoy stores in
 * the request's dynamic metadata under this namespace. Envoy (1.40) hard-codes it, whatever the filter
 * instance's name, so our fail-open instance (`envoy.filters.http.ext_authz/fail-open`) writes there too. Rate
 * limits read it (ratelimitBasic); a client cannot set dynamic metadata, so it cannot forge an identity there.
 */
export const AUTH_METADATA_NAMESPACE = 'envoy.filters.http.ext_authz';
/** The principal's key in that namespace: basic auth's user, a JWT's `sub`, an API key's Secret `<ns>/<name>`. */
export const USER_ID_METADATA_KEY = 'userId';

/** On a route or virtual host: check with this AuthConfig, or explicitly not at all (Gloo's `extauth.disable`). */
export type AuthRefIr = { config: string; failureModeAllow?: true } | { disabled: true };

export interface AuthConfigIr {
  /** `<namespace>/<name>` of the AuthConfig; also what Envoy sends in the `portico-authconfig` context extension. */
  name: string;
  steps: AuthStepIr[];
  /** Absent: every step must pass, in order. */
  expr?: Expr;
  failureModeAllow?: true;
}

export type AuthStepIr = { name: string } & ({ basic: BasicAuthIr } | { apiKey: ApiKeyAuthIr } | { jwt: JwtAuthIr } | { passThrough: PassThroughIr });

export interface BasicAuthIr {
  realm: string;
  /** htpasswd-style hashes: `$apr1$<salt>$<hash>`, `$2y$…` (bcrypt) or `{SHA}<base64>`; sorted by user. */
  users: { user: string; hash: string }[];
}

export interface ApiKeyAuthIr {
  header: string;
  /** Sorted by the Secret they come from (`<namespace>/<name>`); `metadata` holds only the entries some header uses. */
  keys: { key: string; secret: string; metadata: Record<string, string> }[];
  headersFromMetadata: { header: string; entry: string; required: boolean }[];
}

export interface JwtAuthIr {
  providers: JwtProviderIr[];
}

export interface JwtProviderIr {
  name: string;
  issuer?: string;
  audiences?: string[];
  jwks: { url: string; cacheMs: number; timeoutMs: number } | { inline: string };
  /** Where the token is read: a header and the prefix before the token. */
  sources: { header: string; prefix: string }[];
  claimsToHeaders: { claim: string; header: string }[];
  clockSkewSeconds: number;
  requiredClaims?: Record<string, string>;
  /** Set only when the provider opts out (`requireExpiration: false`): tokens without `exp` are accepted. */
  expirationOptional?: true;
}

export type PassThroughIr = (
  | { grpc: { address: string; timeoutMs: number } }
  | { http: { url: string; allowedHeaders: string[]; allowedUpstreamHeaders: string[]; timeoutMs: number } }
) & { failureModeAllow?: true };
