// ReferenceGrant (gateway.networking.k8s.io/v1beta1, also served as v1): the CRD's fields and limits.
import { group, kindName, namespaceName, objectName } from './common.ts';
import { list, obj, required } from './schema.ts';

export const referenceGrantSpec = obj({
  from: required(list(obj({ group: required(group), kind: required(kindName), namespace: required(namespaceName) }), { min: 1, max: 16 })),
  to: required(list(obj({ group: required(group), kind: required(kindName), name: objectName }), { min: 1, max: 16 })),
});
