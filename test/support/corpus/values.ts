// Value families: for each type of field Portico reads, values that must be accepted (`valid`), values that
// must be rejected (`invalid`), and `edge` values whose fate is left to the validator (only "accepted by
// Portico, rejected by Envoy" is a failure for them). Fields of one type share a family (fields.ts), so a
// value added here is tried in every field of that type.
import { generateKeyPairSync } from 'node:crypto';

export interface ValueFamily {
  valid: readonly unknown[];
  invalid: readonly unknown[];
  edge?: readonly unknown[];
}

const x = (n: number) => 'x'.repeat(n);

/** RE2 regexes as Envoy compiles them: syntax, features JS has and RE2 lacks, and program size (limit 100). */
export const REGEX: ValueFamily = {
  // A literal at the start of a regex anchored there is matched outside the program: any length fits.
  valid: ['/api/.*', '^/v[0-9]+/items$', '(?i)/users', '/[[:alpha:]]+', '/v[0-9]{1,20}/.*', '/(?P<id>[0-9]+)', '/a|/b', '/\\d+', '/[^/]+/x', '/\\pL+', `^/${x(300)}`],
  // Exactly Envoy's limit (program size 100): fine alone, too large inside a longer regex (GRPCRoute's path).
  edge: ['/v[0-9]{1,46}/.*'],
  invalid: ['/v[0-9]{1,200}/.*', '/(a', '/a(?=b)', '/(a)\\1', '/x{1001}', '[^a]{1,40}', '\\pL{1,20}', '/[[:foo:]]', '/(?<!a)b', '/a**', 'x.{1,60}', 'é{1,60}', '/v[0-9]{1,48}/.*', `/${x(120)}`],
};

/** Regexes Portico embeds in a longer one (a GRPCRoute's service): no anchored literal prefix to spare them. */
export const EMBEDDED_REGEX: ValueFamily = {
  valid: REGEX.valid.filter((r) => !(r as string).startsWith('^/x')),
  invalid: REGEX.invalid,
  edge: [...(REGEX.edge ?? []), `^/${x(300)}`],
};

/** Exact and PathPrefix values: absolute, normalised URL paths. */
export const LITERAL_PATH: ValueFamily = {
  valid: ['/a', '/a/b', '/%20x', '/a-b_c~', '/', `/${x(1000)}`],
  invalid: ['a', '/a//b', '/a/../b', '/a#b', '/a b', '/a%2fb', '/\u0000', '/a\nb', `/${x(1024)}`],
};

/** Header names a route matches on (RFC 7230 tokens). */
export const MATCH_HEADER_NAME: ValueFamily = {
  valid: ['x-a', 'X_B', "a!#$%&'*+-.^_`|~", 'host', x(256)],
  invalid: [':path', 'a b', 'a:b', '', x(257), 'é', 'a\nb'],
};

/** Header names a route sets, adds or removes: tokens, and never Host or a pseudo-header. */
export const MODIFIED_HEADER_NAME: ValueFamily = {
  valid: ['x-a', 'X-Forwarded-Foo', 'content-type', 'authorization', 'cookie', 'x-envoy-foo'],
  invalid: ['Host', 'host', 'HOST', ':authority', ':path', 'a b', '', 'a\r\nb'],
};

/** Gateway API header values: literal text (a `%` is sent as it is), no NUL, CR or LF. */
export const LITERAL_HEADER_VALUE: ValueFamily = {
  valid: ['v', '50%', '%REQ(x)%', 'a%%b', 'é', 'tab\there', x(4096), '%', '%FOO%'],
  invalid: ['a\nb', 'a\rb', 'a\u0000b', '', x(4097), 'a\r\nX-Injected: 1'],
};

/** Gloo header values: Envoy format strings. */
export const FORMAT_HEADER_VALUE: ValueFamily = {
  valid: ['v', '%REQ(x-b)%', '%DOWNSTREAM_REMOTE_ADDRESS%', '100%%', '%START_TIME(%s)%', '%REQ(x-a):10%', '%UPSTREAM_METADATA(["a","b"])%', 'é', ''],
  invalid: ['50%', '%FOO%', '%ENVIRONMENT(HOME)%', 'a\r\nb', '%REQ%', '%HOSTNAME(x)%', 'a%', '%DOWNSTREAM_REMOTE_ADDRESS%%', x(16385)],
};

/** Header values a route matches (Exact). */
export const MATCH_VALUE: ValueFamily = {
  valid: ['v', 'a b', 'é', '%', x(1024)],
  invalid: ['', 'a\r\nb', 'a\u0000'],
};

export const HOSTNAME: ValueFamily = {
  valid: ['a.example.com', 'a-b.example.com', `${x(63)}.com`],
  invalid: ['A.example.com', '-a.com', '1.2.3.4', 'a..b', `${x(64)}.com`, 'a_b.com', 'a b'],
};

/** A URL path a redirect or rewrite writes (Envoy takes it as a header value). */
export const WRITTEN_PATH: ValueFamily = {
  valid: ['/x', '/x/y', '/x%20', '/'],
  invalid: ['/a\nb', '/a\u0000', `/${x(1024)}`],
  edge: ['/x\\9', '/x\\1', 'x'],
};

export const GATEWAY_DURATION: ValueFamily = {
  valid: ['1s', '10ms', '1h', '1m30s', '0s'],
  invalid: ['1d', '-1s', 'abc', '1.5s', ''],
};

export const PROTO_DURATION: ValueFamily = {
  valid: ['1s', '0.5s', '30s', '0.001s'],
  invalid: ['1m', 'x', '-1s', ''],
  edge: ['0s'],
};

/** Gateway API CORS origins: each becomes an RE2 regex, so a long one is too large a program. */
export const GATEWAY_ORIGIN: ValueFamily = {
  // A long origin is a long literal, which RE2 matches outside its program: it fits.
  valid: ['https://a.example.com', '*', 'https://*.example.com', 'http://a.example.com:8080', `https://${x(200)}.com`, 'https://*'],
  invalid: ['ftp://a.com', 'https://a.com/path', 'a.com', 'https://a.com:123456'],
};

/** Gloo's exact origins: also made into regexes by the translator. */
export const GLOO_ORIGIN: ValueFamily = {
  valid: ['https://a.example.com', '*', 'http://a:1', `https://${x(300)}.com`],
  invalid: [''],
  edge: ['a\nb', 'https://[weird'],
};

export const IP_ADDRESS: ValueFamily = {
  valid: ['127.0.0.1', '::1', '10.0.0.1'],
  invalid: ['localhost', '256.1.1.1', '', 'a b'],
};

export const PORT: ValueFamily = { valid: [1, 80, 65535], invalid: [0, 65536, -1, 1.5, '80'] };

export const OBJECT_NAME: ValueFamily = {
  // Names end up in Envoy's cluster, route and stat names: the longest must still be accepted there.
  valid: ['a', 'a-b.c', `${x(60)}`, x(253), `${x(120)}.${x(120)}`],
  invalid: ['A', 'a_b', x(254), '', '-a'],
};

/** Whole JWKS documents for a local JWT provider: what the ext-auth service's jose can import. */
export const JWKS: ValueFamily = {
  valid: [jwks(), '{"keys":[]}'],
  invalid: ['{"keys":[1]}', '{"keys":{}}', 'notjson', '{"keys":[{"kty":"EC"}]}', '{}', '-----BEGIN PUBLIC KEY-----'],
  // Node imports a zero-length modulus; jose refuses it per token, at verification, and for this key only.
  edge: ['{"keys":[{"kty":"RSA","n":"!","e":"AQAB"}]}'],
};

function jwks(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }] });
}

export const STRING_CAP: ValueFamily = {
  valid: [x(32 * 1024)],
  invalid: [x(32 * 1024 + 1)],
};
