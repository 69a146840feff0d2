// GatewayClass and Gateway (gateway.networking.k8s.io/v1): fields, limits and the CEL rules of the CRDs.
import { controllerName, group, hostname, kindName, labelSelector, namespaceName, objectName, portNumber, qualifiedName, sectionName } from './common.ts';
import { list, map, obj, oneOf, required, str, uniqueBy, unsupported, type Rule } from './schema.ts';

export const gatewayClassSpec = obj({
  controllerName: required(controllerName),
  description: str({ maxLength: 64 }),
  parametersRef: unsupported('parametersRef is not supported by Portico: configure the gateway through Portico itself'),
});

const protocol = str({
  pattern: /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]+$/,
  patternName: 'protocol (HTTP, HTTPS, TLS, TCP, UDP, or domain/name)',
  minLength: 1,
  maxLength: 255,
});

/** `from: Selector` is meaningless without a selector. */
const selectorWhenSelector: Rule = (ns: { from?: string; selector?: unknown }, report) => {
  if (ns.from === 'Selector' && ns.selector === undefined) report(['selector'], 'required when from is Selector');
};

const allowedRoutes = obj({
  namespaces: obj({ from: oneOf('All', 'Selector', 'Same'), selector: labelSelector }, selectorWhenSelector),
  kinds: list(obj({ group, kind: required(kindName) }), { max: 8 }),
});

/** The CRD's CEL rules on each listener: which protocols take a hostname and which take TLS settings. */
const protocolFitsListener: Rule = (l: { protocol: string; hostname?: string; tls?: unknown }, report) => {
  if (['TCP', 'UDP'].includes(l.protocol) && l.hostname !== undefined) report(['hostname'], `must not be set for protocol ${l.protocol}`);
  if (['HTTP', 'TCP', 'UDP'].includes(l.protocol) && l.tls !== undefined) report(['tls'], `must not be set for protocol ${l.protocol}`);
  if (['HTTPS', 'TLS'].includes(l.protocol) && l.tls === undefined) report(['tls'], `required for protocol ${l.protocol}`);
};

/** The CRD's CEL rules on `tls`: Terminate needs certificates (or options that get one), and HTTPS can only terminate. */
const tlsFitsMode: Rule = (tls: { mode?: string; certificateRefs?: unknown[]; options?: object }, report) => {
  const mode = tls.mode ?? 'Terminate';
  if (mode === 'Terminate' && !tls.certificateRefs?.length && !Object.keys(tls.options ?? {}).length) {
    report(['certificateRefs'], 'required (at least one) when mode is Terminate, unless options ask for a certificate (portico.dev/vault-pki-role)');
  }
};
const httpsTerminates: Rule = (l: { protocol: string; tls?: { mode?: string } }, report) => {
  if (l.protocol === 'HTTPS' && l.tls?.mode === 'Passthrough') report(['tls', 'mode'], 'must be Terminate for protocol HTTPS (Passthrough needs protocol TLS)');
};

const certificateRef = obj({ group, kind: kindName, name: required(objectName), namespace: namespaceName });

const tls = obj(
  {
    mode: oneOf('Terminate', 'Passthrough'),
    certificateRefs: list(certificateRef, { max: 64 }),
    options: map(qualifiedName, str({ maxLength: 4096 })),
    frontendValidation: unsupported('frontendValidation (client certificates) is not supported by Portico yet'),
  },
  tlsFitsMode,
);

const listener = obj(
  {
    name: required(sectionName),
    hostname,
    port: required(portNumber),
    protocol: required(protocol),
    tls,
    allowedRoutes,
  },
  protocolFitsListener,
  httpsTerminates,
);

export const gatewaySpec = obj({
  gatewayClassName: required(objectName),
  // Listeners sharing a port and hostname are left to the translator, which marks them Conflicted rather
  // than rejecting the whole Gateway (the CRD's uniqueness rule would); every other listener keeps working.
  listeners: required(list(listener, { min: 1, max: 64 }, uniqueBy('name', 'listener name'))),
  addresses: unsupported('addresses is not supported by Portico: Envoy listens on every address of its host'),
  infrastructure: unsupported('infrastructure is not supported by Portico'),
});
