// What an auth step sees of a request and what it decides. Reasons are logged with the route: they say what
// failed, never a credential, a user's password or a token.

export interface CheckInput {
  /** Request headers, names in lower case (as Envoy sends them). */
  headers: Readonly<Record<string, string>>;
  path: string;
  method: string;
  /** The CheckRequest as Envoy sent it, for a pass-through to another ext_authz service. */
  raw: Uint8Array;
}

export type Decision = Allow | Deny;

export interface Allow {
  allow: true;
  /** Set on the request sent upstream (replacing any value the client sent). */
  headers: Record<string, string>;
  /** Removed from the request sent upstream: headers a step sets when it has a value, so no client can forge them. */
  remove: string[];
  /**
   * Who was authenticated (a user name, a JWT's `sub`, an API key's Secret), published to Envoy as dynamic
   * metadata for rate limits per user; absent when the step established no identity.
   */
  userId?: string;
}

export interface Deny {
  allow: false;
  /** The HTTP status the client gets: 401 (no or bad credentials), 403 (valid, but not allowed), 503 (busy). */
  status: number;
  reason: string;
  /** Sent to the client, e.g. WWW-Authenticate. */
  headers?: Record<string, string>;
  body?: string;
}

/** One configured step (basic auth, API key, JWT, pass-through). */
export type Step = (input: CheckInput) => Decision | Promise<Decision>;

export function allow(headers: Record<string, string> = {}, remove: string[] = [], userId?: string): Allow {
  return { allow: true, headers, remove, ...(userId !== undefined && { userId }) };
}

export function deny(status: number, reason: string, headers?: Record<string, string>): Deny {
  return { allow: false, status, reason, ...(headers && { headers }) };
}
