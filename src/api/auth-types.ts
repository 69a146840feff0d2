// Spec of Gloo's AuthConfig (enterprise.gloo.solo.io/v1), shaped like Gloo's YAML so that existing configs carry
// over, and of the `extauth` option of RouteOption/VirtualHostOption. Fields Portico adds are marked so.

export interface AuthConfigSpec {
  /** Each is a step; by default all must pass, in order (see booleanExpr). */
  configs: AuthStepSpec[];
  /** Combines the steps by name: `a && (b || c)`. Absent: every step must pass. */
  booleanExpr?: string;
  /** Portico: let requests through when the ext-auth service cannot be reached (default: deny with 403). */
  failureModeAllow?: boolean;
}

/** Exactly one of the kinds is set. */
export interface AuthStepSpec {
  /** Names the step in booleanExpr, logs and statuses; default `<kind>-<index>`. */
  name?: string;
  basicAuth?: BasicAuthSpec;
  apiKeyAuth?: ApiKeyAuthSpec;
  jwt?: JwtAuthSpec;
  passThroughAuth?: PassThroughAuthSpec;
}

export interface ObjectRef {
  name: string;
  /** Default: the AuthConfig's namespace. */
  namespace?: string;
}

export interface BasicAuthSpec {
  realm?: string;
  /** Apache's `$apr1$` hashes, split as `htpasswd` prints them: salt and hashed password per user. */
  apr?: { users: Record<string, { salt: string; hashedPassword: string }> };
  /** Portico: an htpasswd file in a Secret (`$apr1$`, bcrypt `$2y$`/`$2b$`/`$2a$`, `{SHA}` lines). */
  htpasswd?: { secretRef: ObjectRef; key?: string };
}

export interface ApiKeyAuthSpec {
  /** Default `api-key`. */
  headerName?: string;
  /** Secrets whose `api-key` entry is a key. */
  apiKeySecretRefs?: ObjectRef[];
  /** Every Secret with these labels (in any namespace) holds a key. */
  labelSelector?: Record<string, string>;
  /** Request headers set from the matched Secret's other entries. */
  headersFromMetadataEntry?: Record<string, { name: string; required?: boolean }>;
}

export interface JwtAuthSpec {
  providers: Record<string, JwtProviderSpec>;
}

export interface JwtProviderSpec {
  issuer?: string;
  audiences?: string[];
  jwks: { remote?: { url: string; cacheDuration?: string; timeout?: string }; local?: { key: string } };
  /** Default: the `Authorization` header with prefix `Bearer `. */
  tokenSource?: { headers?: { header: string; prefix?: string }[] };
  claimsToHeaders?: { claim: string; header: string }[];
  clockSkewSeconds?: number;
  /** Portico: claims a valid token must carry with these values, else 403. */
  requiredClaims?: Record<string, string>;
  /**
   * Portico (Envoy's jwt_authn `require_expiration`, but on by default): a token without `exp` is refused with
   * 401. `false` accepts such tokens, which stay valid for ever: set it only for issuers that cannot add `exp`.
   */
  requireExpiration?: boolean;
}

export interface PassThroughAuthSpec {
  grpc?: { address: string; connectionTimeout?: string };
  http?: {
    url: string;
    request?: { allowedHeaders?: string[] };
    response?: { allowedUpstreamHeaders?: string[] };
    connectionTimeout?: string;
  };
  /** Allow when the service cannot be reached (default: deny). */
  failureModeAllow?: boolean;
}

/** `options.extauth` of a RouteOption or VirtualHostOption: exactly one of configRef and disable. */
export interface ExtAuthOption {
  configRef?: ObjectRef;
  disable?: boolean;
}
