// HTTPRoute filters (on rules and on backendRefs): header modifiers, redirects, rewrites, mirrors, CORS,
// and the CEL rules tying each filter's `type` to its configuration block.
import { backendObjectReference, group, HTTP_METHODS, headerName, headerValue, kindName, modifiableHeaderName, objectName, portNumber, preciseHostname } from './common.ts';
import { originRegex } from '../../contracts/envoy-regexes.ts';
import { re2Problem } from './regex.ts';
import { bool, distinct, int, list, obj, oneOf, required, str, uniqueBy, type IntegerSchema, type Rule } from './schema.ts';

/** Each filter type and the field that carries its configuration. */
const CONFIG_FIELD = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestMirror: 'requestMirror',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
} as const;

/** Only these may appear more than once in one filter list. */
const REPEATABLE = ['RequestMirror', 'ExtensionRef'];

const httpHeader = obj({ name: required(modifiableHeaderName), value: required(headerValue(4096, 1)) });

/** "Only one action for a given header name is permitted" (names compare case-insensitively). */
const oneActionPerHeader: Rule = (m: { set?: { name: string }[]; add?: { name: string }[]; remove?: string[] }, report) => {
  const actions = [
    ...(m.set ?? []).map((h, i) => ({ name: h.name, path: ['set', i, 'name'], at: `set[${i}]` })),
    ...(m.add ?? []).map((h, i) => ({ name: h.name, path: ['add', i, 'name'], at: `add[${i}]` })),
    ...(m.remove ?? []).map((name, i) => ({ name, path: ['remove', i], at: `remove[${i}]` })),
  ];
  const seen = new Map<string, string>();
  for (const { name, path, at } of actions) {
    const first = seen.get(name.toLowerCase());
    if (first) report(path, `header ${JSON.stringify(name)} already has an action (${first}); only one action per header name is allowed`);
    else seen.set(name.toLowerCase(), at);
  }
};

const headerModifier = obj(
  {
    set: list(httpHeader, { max: 16 }, uniqueBy('name', 'header name')),
    add: list(httpHeader, { max: 16 }, uniqueBy('name', 'header name')),
    remove: list(modifiableHeaderName, { max: 16 }),
  },
  oneActionPerHeader,
);

/** `type: ReplaceFullPath` goes with `replaceFullPath`, `type: ReplacePrefixMatch` with `replacePrefixMatch`. */
const valueFitsModifierType: Rule = (p: Record<string, unknown>, report) => {
  for (const type of ['ReplaceFullPath', 'ReplacePrefixMatch']) {
    const field = type[0]?.toLowerCase() + type.slice(1);
    if (p.type === type && p[field] === undefined) report([field], `required when type is ${type}`);
    if (p.type !== type && p[field] !== undefined) report([field], `must not be set when type is ${String(p.type)}`);
  }
};

const pathModifier = obj(
  {
    type: required(oneOf('ReplaceFullPath', 'ReplacePrefixMatch')),
    // Envoy takes both as header values (path_redirect, prefix_rewrite…): no NUL, CR or LF.
    replaceFullPath: headerValue(1024),
    replacePrefixMatch: headerValue(1024),
  },
  valueFitsModifierType,
);

/** `*` means "any", so it must stand alone (the CRD's "cannot contain '*' alongside other …" rules). */
function wildcardAlone(what: string): Rule {
  return (items: string[], report) => {
    if (items.length > 1 && items.includes('*')) report([items.indexOf('*')], `'*' allows every ${what}, so it cannot be listed alongside other ${what}s`);
  };
}

const percentXorFraction: Rule = (m: { percent?: number; fraction?: unknown }, report) => {
  if (m.percent !== undefined && m.fraction !== undefined) report(['fraction'], 'only one of percent and fraction may be set');
};

const fractionAtMostOne: Rule = (f: { numerator: number; denominator?: number }, report) => {
  const denominator = f.denominator ?? 100;
  if (f.numerator > denominator) report(['numerator'], `must be at most the denominator (${denominator})`);
};

const requestMirror = obj(
  {
    backendRef: required(backendObjectReference()),
    percent: int(0, 100),
    fraction: obj({ numerator: required(int(0)), denominator: int(1) }, fractionAtMostOne),
  },
  percentXorFraction,
);

/** `<scheme>://<host>[:<port>]` with http or https, where the host may start with `*` (any labels), or just `*`. */
const corsOrigin = str({
  pattern: /^\*$|^https?:\/\/(\*|(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)(:[0-9]{1,5})?$/,
  patternName: 'origin (http or https://host[:port], where the host may start with "*."; or "*" alone)',
  maxLength: 253,
  // Envoy matches each origin with an RE2 regex made of it, which must fit its program size.
  check: (o) => re2Problem(originRegex(o)),
});

const cors = obj({
  allowOrigins: list(corsOrigin, { max: 64 }, distinct('origin'), wildcardAlone('origin')),
  allowCredentials: bool,
  allowMethods: list(oneOf(...HTTP_METHODS, '*'), { max: 9 }, distinct('method'), wildcardAlone('method')),
  allowHeaders: list(headerName, { max: 64 }, distinct('header'), wildcardAlone('header')),
  exposeHeaders: list(headerName, { max: 64 }, distinct('header')),
  maxAge: int(1),
});

const redirectStatusCode: IntegerSchema = { type: 'integer', enum: [301, 302, 303, 307, 308] };

/** A filter's `type` needs its configuration block, and no other block may be set. */
const configFitsType: Rule = (f: Record<string, unknown>, report) => {
  for (const [type, field] of Object.entries(CONFIG_FIELD)) {
    if (f.type === type && f[field] === undefined) report([field], `required when type is ${type}`);
    if (f.type !== type && f[field] !== undefined) report([field], `must not be set when type is ${String(f.type)} (it goes with type ${type})`);
  }
};

const filter = obj(
  {
    type: required(oneOf(...Object.keys(CONFIG_FIELD))),
    requestHeaderModifier: headerModifier,
    responseHeaderModifier: headerModifier,
    requestRedirect: obj({ scheme: oneOf('http', 'https'), hostname: preciseHostname, path: pathModifier, port: portNumber, statusCode: redirectStatusCode }),
    urlRewrite: obj({ hostname: preciseHostname, path: pathModifier }),
    requestMirror,
    cors,
    // Gateway API LocalObjectReference; the translator serves RouteOptions and reports any other kind.
    extensionRef: obj({ group: required(group), kind: required(kindName), name: required(objectName) }),
  },
  configFitsType,
);

const redirectXorRewrite: Rule = (filters: { type: string }[], report) => {
  const redirect = filters.findIndex((f) => f.type === 'RequestRedirect');
  const rewrite = filters.findIndex((f) => f.type === 'URLRewrite');
  if (redirect >= 0 && rewrite >= 0) report([Math.max(redirect, rewrite), 'type'], 'RequestRedirect and URLRewrite cannot be used together');
};

const noRepeats: Rule = (filters: { type: string }[], report) => {
  filters.forEach((f, i) => {
    if (!REPEATABLE.includes(f.type) && filters.findIndex((g) => g.type === f.type) < i) report([i, 'type'], `${f.type} filter cannot be repeated`);
  });
};

export const filterList = list(filter, { max: 16 }, redirectXorRewrite, noRepeats);
