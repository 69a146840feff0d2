// Header values Envoy reads as format strings: Gloo's headerManipulation hands them to Envoy as they are, and
// Envoy expands `%COMMAND%` operators in them (`%REQ(x-user)%`, `%DOWNSTREAM_REMOTE_ADDRESS%`) and refuses the
// whole route configuration for an unknown command or a lone `%` ("Couldn't find valid command"). Portico
// accepts `%%` (a literal percent) and the operators below, each checked against Envoy 1.40 by the validation
// corpus. Left out on purpose: ENVIRONMENT (it would copy the Envoy host's environment, secrets included, into
// a tenant's requests) and FILTER_STATE.

/** Operators that need an argument in parentheses. */
const WITH_ARGUMENT = ['REQ', 'RESP', 'DYNAMIC_METADATA', 'UPSTREAM_METADATA'];
/** Operators whose argument is optional. */
const OPTIONAL_ARGUMENT = ['START_TIME'];
/** Operators that take no argument. */
const NO_ARGUMENT = [
  'PROTOCOL', 'HOSTNAME', 'RESPONSE_CODE', 'ROUTE_NAME', 'VIRTUAL_CLUSTER_NAME', 'STREAM_ID', 'CONNECTION_ID', 'REQUESTED_SERVER_NAME',
  'DOWNSTREAM_REMOTE_ADDRESS', 'DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_REMOTE_PORT',
  'DOWNSTREAM_LOCAL_ADDRESS', 'DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT', 'DOWNSTREAM_LOCAL_PORT',
  'DOWNSTREAM_TLS_VERSION', 'DOWNSTREAM_PEER_URI_SAN', 'DOWNSTREAM_PEER_SUBJECT',
  'UPSTREAM_REMOTE_ADDRESS', 'UPSTREAM_CLUSTER', 'UPSTREAM_HOST',
];

/** `%NAME%`, `%NAME(arg)%`, `%NAME(arg):length%` at the start of the text. */
const OPERATOR = /^%([A-Z_]+)(?:\(([^)]*)\))?(?::[0-9]+)?%/;

/** Why Envoy would refuse `value` as a header format string, or undefined. */
export function envoyFormatProblem(value: string): string | undefined {
  for (let i = value.indexOf('%'); i >= 0; i = value.indexOf('%', i)) {
    if (value[i + 1] === '%') {
      i += 2;
      continue;
    }
    const op = OPERATOR.exec(value.slice(i));
    const problem = op ? operatorProblem(op[1] as string, op[2]) : `'%' at position ${i} starts no Envoy operator: write '%%' for a literal percent sign`;
    if (problem) return problem;
    i += (op as RegExpExecArray)[0].length;
  }
  return undefined;
}

function operatorProblem(name: string, arg: string | undefined): string | undefined {
  if (WITH_ARGUMENT.includes(name)) return arg ? undefined : `%${name}(…)% needs an argument`;
  if (OPTIONAL_ARGUMENT.includes(name)) return undefined;
  if (NO_ARGUMENT.includes(name)) return arg === undefined ? undefined : `%${name}% takes no argument`;
  return `%${name}% is not an Envoy operator Portico accepts in header values (${[...WITH_ARGUMENT, ...OPTIONAL_ARGUMENT, ...NO_ARGUMENT].join(', ')}); write '%%' for a literal percent sign`;
}
