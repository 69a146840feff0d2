import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NackTracker } from './nacks.ts';

const gatewayRecord = {
  key: 'gateway.networking.k8s.io/Gateway/default/gw',
  id: 'Gateway default/gw',
  generation: 3,
  status: { conditions: [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'True' }] },
};
const routeType = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

test('a NACK makes the Gateway Programmed=False with Envoy message until a newer version is ACKed', () => {
  const nacks = new NackTracker();
  assert.equal(nacks.nack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v2', message: 'invalid regex' }), true);
  const [record] = nacks.apply([gatewayRecord]);
  const programmed = (record?.status.conditions as { type: string; status: string; message: string; observedGeneration: number }[]).find((c) => c.type === 'Programmed');
  assert.equal(programmed?.status, 'False');
  assert.match(programmed?.message ?? '', /envoy-1 rejected RouteConfiguration version v2: invalid regex/);
  assert.equal(programmed?.observedGeneration, 3);

  assert.equal(nacks.ack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v2' }), false, 'an ACK of the rejected version changes nothing');
  assert.equal(nacks.ack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v3' }), true);
  assert.deepEqual(nacks.apply([gatewayRecord]), [gatewayRecord]);
});

test('other resources and other gateways are untouched', () => {
  const nacks = new NackTracker();
  nacks.nack({ nodeId: 'e', nodeKey: 'other/gw', typeUrl: routeType, version: 'v1', message: 'x' });
  const route = { key: 'gateway.networking.k8s.io/HTTPRoute/default/gw', id: 'HTTPRoute default/gw', status: {} };
  assert.deepEqual(nacks.apply([gatewayRecord, route]), [gatewayRecord, route]);
});

test('the ext-auth service\'s NACK of AuthConfigs it could not compile makes each Accepted=False until a newer version is ACKed', () => {
  const nacks = new NackTracker();
  const extauth = { nodeId: 'portico:extauth/1', nodeKey: 'portico:extauth', typeUrl: 'type.googleapis.com/google.protobuf.Struct' };
  nacks.nack({ ...extauth, version: 'v2', message: 'applied without 1 item(s):\nAuthConfig ns/jwt: JSON Web Key Set malformed' });
  const record = (name: string) => ({ key: `enterprise.gloo.solo.io/AuthConfig/ns/${name}`, id: `AuthConfig ns/${name}`, status: { conditions: [{ type: 'Accepted', status: 'True' }] } });
  const [jwt, keys] = nacks.apply([record('jwt'), record('keys')]);
  assert.deepEqual(jwt?.status.conditions, [
    { type: 'Accepted', status: 'False', reason: 'Invalid', message: 'the ext-auth service cannot use it: JSON Web Key Set malformed; the routes that use it are denied until it is fixed' },
  ]);
  assert.deepEqual(keys, record('keys'));
  nacks.ack({ ...extauth, version: 'v3' });
  assert.deepEqual(nacks.apply([record('jwt')]), [record('jwt')]);
});
