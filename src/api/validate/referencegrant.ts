// ReferenceGrant (gateway.networking.k8s.io/v1beta1, v1): which namespaces' objects may refer to objects of
// the grant's own namespace. Portico honours it for Gateway certificateRefs to Secrets.
import { group, kindName, namespaceName, objectName } from './common.ts';
import { list, obj, required } from './schema.ts';

export const referenceGrantSpec = obj({
  from: required(list(obj({ group: required(group), kind: required(kindName), namespace: required(namespaceName) }), { min: 1, max: 16 })),
  to: required(list(obj({ group: required(group), kind: required(kindName), name: objectName }), { min: 1, max: 16 })),
});
