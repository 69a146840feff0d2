// Gloo's RateLimitConfig (ratelimit.solo.io/v1alpha1) and the rate-limit options of RouteOption and
// VirtualHostOption, with Gloo's field names. Beyond Gloo's CRD schema: exactly one member per action, unique
// descriptors per level (the server could not tell them apart), and actions of a style the config defines rules for.
import { headerName, namespaceName, objectName } from './common.ts';
import { re2Problem } from './regex.ts';
import { bool, int, list, obj, oneOf, required, str, type ObjectSchema, type Rule, type Schema } from './schema.ts';

const nonEmpty = str({ minLength: 1 });
/** Deep enough for any real tree (envoyproxy/ratelimit's examples stop at 3); a schema cannot recurse lazily. */
const MAX_DEPTH = 8;

export const rateLimitSpec = obj({
  requestsPerUnit: required(int(0, 4_294_967_295)),
  unit: required(oneOf('SECOND', 'MINUTE', 'HOUR', 'DAY')),
});

/** Two descriptors of one level with the same key and value: the second could never match. */
const uniqueDescriptors: Rule = (items: { key: string; value?: string }[], report) => {
  const seen = new Map<string, number>();
  items.forEach((d, i) => {
    const id = `${d.key}\u0000${d.value ?? ''}\u0000${d.value === undefined}`;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else report([i], `duplicate descriptor key ${JSON.stringify(d.key)}${d.value === undefined ? '' : ` value ${JSON.stringify(d.value)}`} (also at index ${first})`);
  });
};

function descriptorList(depth: number): Schema {
  const fields: Record<string, Schema> = {
    key: required(nonEmpty),
    value: str(),
    rateLimit: rateLimitSpec,
    weight: int(0, 4_294_967_295),
    alwaysApply: bool,
    shadowMode: bool,
  };
  if (depth < MAX_DEPTH) fields.descriptors = descriptorList(depth + 1);
  return list(obj(fields), {}, uniqueDescriptors);
}

const setDescriptor = obj({
  simpleDescriptors: required(list(obj({ key: required(nonEmpty), value: str() }), { min: 1 })),
  rateLimit: required(rateLimitSpec),
  alwaysApply: bool,
  shadowMode: bool,
});

/** Exactly one member of a mapping is set (Gloo's oneofs). */
function exactlyOne(what: string): Rule {
  return (v: Record<string, unknown>, report) => {
    const set = Object.keys(v).filter((k) => v[k] !== undefined && v[k] !== null);
    if (set.length !== 1) report(set.length > 1 ? [set[1] as string] : [], `exactly one ${what} must be set${set.length ? ` (got ${set.join(', ')})` : ''}`);
  };
}

const headerMatcher = obj(
  {
    name: required(headerName),
    exactMatch: str(),
    regexMatch: str({ minLength: 1, maxLength: 1024, check: re2Problem }),
    rangeMatch: obj({ start: required(int()), end: required(int()) }),
    presentMatch: bool,
    prefixMatch: nonEmpty,
    suffixMatch: nonEmpty,
    invertMatch: bool,
  },
  (m: Record<string, unknown>, report) => {
    const set = ['exactMatch', 'regexMatch', 'rangeMatch', 'presentMatch', 'prefixMatch', 'suffixMatch'].filter((k) => m[k] !== undefined);
    if (set.length > 1) report([set[1] as string], `at most one way of matching may be set (got ${set.join(', ')})`);
  },
);

const action = obj(
  {
    sourceCluster: obj({}),
    destinationCluster: obj({}),
    requestHeaders: obj({ headerName: required(headerName), descriptorKey: required(nonEmpty) }),
    remoteAddress: obj({}),
    genericKey: obj({ descriptorValue: required(nonEmpty) }),
    headerValueMatch: obj({ descriptorValue: required(nonEmpty), expectMatch: bool, headers: required(list(headerMatcher, { min: 1 })) }),
    metadata: obj({
      descriptorKey: required(nonEmpty),
      metadataKey: required(obj({ key: required(nonEmpty), path: required(list(obj({ key: required(nonEmpty) }), { min: 1 })) })),
      defaultValue: str(),
      source: oneOf('DYNAMIC', 'ROUTE_ENTRY'),
    }),
  },
  exactlyOne('action'),
);

const rateLimitActions = obj({ actions: list(action, { min: 1 }), setActions: list(action, { min: 1 }) }, exactlyOne('of actions and setActions'));

/** Actions of a style need rules of that style: descriptor-style ones a tree, set-style ones setDescriptors. */
const actionsHaveRules: Rule = (raw: { descriptors?: unknown[]; setDescriptors?: unknown[]; rateLimits: { actions?: unknown; setActions?: unknown }[] }, report) => {
  raw.rateLimits.forEach((r, i) => {
    if (r.actions && !raw.descriptors?.length) report(['rateLimits', i, 'actions'], 'descriptor-style actions need descriptors to match');
    if (r.setActions && !raw.setDescriptors?.length) report(['rateLimits', i, 'setActions'], 'set-style actions need setDescriptors to match');
  });
};

export const rateLimitConfigSpec: ObjectSchema = obj({
  raw: required(
    obj(
      {
        descriptors: descriptorList(1),
        setDescriptors: list(setDescriptor),
        rateLimits: required(list(rateLimitActions, { min: 1 })),
      },
      actionsHaveRules,
    ),
  ),
});

/** `options.rateLimitConfigs` and `options.ratelimitBasic` of RouteOption and VirtualHostOption. */
export const rateLimitOptions: Record<string, Schema> = {
  rateLimitConfigs: obj({ refs: required(list(obj({ name: required(objectName), namespace: namespaceName }), { min: 1 })) }),
  ratelimitBasic: obj({ anonymousLimits: rateLimitSpec, authorizedLimits: rateLimitSpec }, (b: Record<string, unknown>, report) => {
    if (!b.anonymousLimits && !b.authorizedLimits) report([], 'set anonymousLimits, authorizedLimits or both');
  }),
};
