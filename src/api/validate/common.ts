// Field formats shared by the kinds: names, hostnames, ports, header names, label selectors, timestamps,
// durations, backend references.
// Patterns and limits are the Gateway API's and Kubernetes' own, so the same YAML is valid here and there.
import { DURATION_PATTERN } from '../duration.ts';
import { int, list, map, obj, oneOf, required, str, type Rule, type Schema, type StringSchema } from './schema.ts';

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = `${LABEL}(\\.${LABEL})*`;

export const dnsLabel = (what: string): StringSchema =>
  str({ pattern: new RegExp(`^${LABEL}$`), patternName: `${what} (a lowercase RFC 1123 label: a-z, 0-9 and '-')`, maxLength: 63 });

export const dnsSubdomain = (what: string): StringSchema =>
  str({ pattern: new RegExp(`^${SUBDOMAIN}$`), patternName: `${what} (lowercase RFC 1123 labels separated by '.')`, maxLength: 253 });

export const objectName = str({ minLength: 1, maxLength: 253 });
export const namespaceName = dnsLabel('namespace');
export const sectionName = dnsSubdomain('section name');
export const portNumber = int(1, 65535);

export const group = str({
  pattern: new RegExp(`^$|^${SUBDOMAIN}$`),
  patternName: "API group (empty for the core group, or lowercase RFC 1123 labels separated by '.')",
  maxLength: 253,
});

export const kindName = str({
  pattern: /^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$/,
  patternName: 'kind (a letter, then letters, digits and -)',
  minLength: 1,
  maxLength: 63,
});

/** Gateway API `Hostname`: a DNS name, optionally with a leading `*.` label; never an IP address. */
export const hostname = hostnameSchema(true);
/** Gateway API `PreciseHostname`: no wildcard. */
export const preciseHostname = hostnameSchema(false);

function hostnameSchema(wildcard: boolean): StringSchema {
  return str({
    pattern: new RegExp(`^${wildcard ? '(\\*\\.)?' : ''}${SUBDOMAIN}$`),
    patternName: wildcard
      ? "hostname (lowercase RFC 1123 labels separated by '.', optionally starting with '*.')"
      : "hostname (lowercase RFC 1123 labels separated by '.'; no wildcard here)",
    minLength: 1,
    maxLength: 253,
    check: (h) => {
      if (/^[0-9.]+$/.test(h)) return `${JSON.stringify(h)} is an IP address; a hostname is required here`;
      const long = h.split('.').find((l) => l.length > 63);
      return long ? `label ${JSON.stringify(long)} is longer than 63 characters` : undefined;
    },
  });
}

/** RFC 7230 token: what an HTTP header (or query parameter) name may contain. */
export const headerName = str({
  pattern: /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/,
  patternName: "header name (letters, digits and !#$%&'*+-.^_`|~; no ':' pseudo-headers)",
  minLength: 1,
  maxLength: 256,
});

/**
 * A header a route adds, sets or removes. Envoy refuses to modify `Host` and the `:`-prefixed pseudo-headers
 * (HeaderParser: ":-prefixed or host headers may not be modified"), and NACKs the whole route configuration.
 */
export const modifiableHeaderName = str({
  ...headerName,
  check: (name) =>
    name.toLowerCase() === 'host'
      ? 'Envoy does not let a route modify the Host header: use URLRewrite hostname (Gateway API) or hostRewrite (RouteOption)'
      : undefined,
});

/** What Envoy refuses in any header value (PGV HTTP_HEADER_VALUE) and in anything it puts in one: NUL, CR and LF. */
export const controlCharProblem = (v: string): string | undefined => (/[\0\r\n]/.test(v) ? 'must not contain NUL, CR or LF characters' : undefined);

/** A header value (or a path, a host) Envoy sends as it is. */
export const headerValue = (maxLength: number, minLength = 0) => str({ minLength, maxLength, check: controlCharProblem });

/** The HTTP methods of the Gateway API's `HTTPMethod`. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** Gateway API `Duration` (GEP-2257). */
export const duration = str({
  pattern: DURATION_PATTERN,
  patternName: 'duration (one to four <number><unit> parts, units h, m, s or ms: 1h, 2m30s, 500ms, 0s)',
});

/** The default kind of a backend reference is a core Service, which needs a port. */
const servicePort: Rule = (b: { group?: string; kind?: string; port?: number }, report) => {
  if ((b.group ?? '') === '' && (b.kind ?? 'Service') === 'Service' && b.port === undefined) report(['port'], 'required when referring to a Service');
};

const backendObjectFields = { group, kind: kindName, name: required(objectName), namespace: namespaceName, port: portNumber };

/** Gateway API `BackendObjectReference`, with `extra` fields (an HTTPBackendRef adds weight and filters). */
export const backendObjectReference = (extra: Record<string, Schema> = {}) => obj({ ...backendObjectFields, ...extra }, servicePort);

export const controllerName = str({
  pattern: new RegExp(`^${SUBDOMAIN}\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`),
  patternName: 'controller name (a domain, then a path: example.net/gateway-controller)',
  maxLength: 253,
});

/** A Kubernetes qualified name: `name` or `prefix/name` (labels and annotations keys). */
export const qualifiedName = str({
  minLength: 1,
  check: (key) => {
    const slash = key.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
    if (prefix !== undefined && (prefix.length > 253 || !new RegExp(`^${SUBDOMAIN}$`).test(prefix))) {
      return `prefix ${JSON.stringify(prefix)} must be lowercase RFC 1123 labels separated by '.'`;
    }
    if (name.length > 63 || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)) {
      return `name ${JSON.stringify(name)} must be at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a letter or digit`;
    }
    return undefined;
  },
});

export const labelValue = str({
  pattern: /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/,
  patternName: "label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
  maxLength: 63,
});

export const labels = map(qualifiedName, labelValue);

const setOperators = ['In', 'NotIn'];

/** `In`/`NotIn` need values; `Exists`/`DoesNotExist` take none. */
const valuesFitOperator: Rule = (e: { operator: string; values?: string[] }, report) => {
  const needs = setOperators.includes(e.operator);
  if (needs && !e.values?.length) report(['values'], `must not be empty when operator is ${e.operator}`);
  if (!needs && e.values?.length) report(['values'], `must be empty when operator is ${e.operator}`);
};

export const labelSelector = obj({
  matchLabels: labels,
  matchExpressions: list(
    obj({ key: required(qualifiedName), operator: required(oneOf('In', 'NotIn', 'Exists', 'DoesNotExist')), values: list(labelValue) }, valuesFitOperator),
  ),
});

/** RFC 3339, as Kubernetes writes `creationTimestamp`. */
export const timestamp = str({
  pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  patternName: 'RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)',
  check: (t) => (Number.isNaN(Date.parse(t)) ? `${JSON.stringify(t)} is not a real date and time` : undefined),
});
