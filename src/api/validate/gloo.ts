// Gloo's Upstream (gloo.solo.io/v1), static kind only: the hosts to send traffic to.
import { isIP } from 'node:net';
import { portNumber } from './common.ts';
import { bool, list, obj, required, str, type Rule } from './schema.ts';

/** Envoy does not resolve names in endpoints served by EDS, so a static host must be an IP address. */
const hostAddr = str({
  minLength: 1,
  check: (addr) => (isIP(addr) ? undefined : `${JSON.stringify(addr)} is not an IP address (endpoints are served by EDS, which does not resolve names)`),
});

const noUpstreamTls: Rule = (s: { useTls?: boolean }, report) => {
  if (s.useTls) report(['useTls'], 'TLS to upstreams is not supported by Portico yet');
};

export const upstreamSpec = obj({
  // The only upstream type Portico serves; Gloo's others (kube, consul, aws, …) are unknown fields here.
  static: required(
    obj({ hosts: required(list(obj({ addr: required(hostAddr), port: required(portNumber), sniAddr: str() }), { min: 1 })), useTls: bool }, noUpstreamTls),
  ),
});
