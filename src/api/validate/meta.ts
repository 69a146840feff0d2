// The envelope every document shares: apiVersion, kind, metadata, spec (and a status that is ignored).
import { dnsSubdomain, labels, namespaceName, qualifiedName, timestamp } from './common.ts';
import { int, map, obj, opaque, required, str, unsupported, type ObjectSchema, type StringSchema } from './schema.ts';

export interface EnvelopeOptions {
  kind: string;
  namespaced: boolean;
  spec: ObjectSchema;
  /** Namespace has no required spec; every other kind has. */
  specRequired?: boolean;
  /** Object names are RFC 1123 subdomains unless the kind says otherwise (Namespace names are labels). */
  name?: StringSchema;
}

export function envelope(opts: EnvelopeOptions): ObjectSchema {
  const metadata = obj({
    name: required(opts.name ?? dnsSubdomain('name')),
    namespace: opts.namespaced ? namespaceName : unsupported(`${opts.kind} is cluster-scoped: remove metadata.namespace`),
    labels,
    annotations: map(qualifiedName, str()),
    // Both are normally kept by the store; set here, they pin precedence and observedGeneration (tests, exports).
    generation: int(1),
    creationTimestamp: timestamp,
  });
  return obj({
    apiVersion: required(str()),
    kind: required(str()),
    metadata: required(metadata),
    spec: opts.specRequired === false ? opts.spec : required(opts.spec),
    status: opaque, // what a controller wrote earlier (e.g. `kubectl get -o yaml`); Portico computes its own
  });
}
