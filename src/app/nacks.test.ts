import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenersOnPort, MAX_NACK_MESSAGE, NackTracker, withRejectedResources } from './nacks.ts';

const gatewayRecord = {
  key: 'gateway.networking.k8s.io/Gateway/default/gw',
  id: 'Gateway default/gw',
  generation: 3,
  status: { conditions: [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'True' }] },
};
const routeType = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
/** What the gateways are served now: default/gw and other/gw get route version v2. */
const structType = 'type.googleapis.com/google.protobuf.Struct';
const served = {
  servedVersion: (key: string, typeUrl: string) =>
    (['default/gw', 'other/gw'].includes(key) && typeUrl === routeType) || (key === 'portico:extauth' && typeUrl === structType) ? 'v2' : undefined,
};

test('a NACK makes the Gateway Programmed=False with Envoy message until a newer version is ACKed', () => {
  const nacks = new NackTracker(served);
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
  const nacks = new NackTracker(served);
  assert.equal(nacks.nack({ nodeId: 'e', nodeKey: 'other/gw', typeUrl: routeType, version: 'v2', message: 'x' }), true);
  const route = { key: 'gateway.networking.k8s.io/HTTPRoute/default/gw', id: 'HTTPRoute default/gw', status: {} };
  assert.deepEqual(nacks.apply([gatewayRecord, route]), [gatewayRecord, route]);
});

const programmedOf = (records: { status: Record<string, unknown> }[]) =>
  (records[0]?.status.conditions as { type: string; status: string; message: string }[]).find((c) => c.type === 'Programmed');

test('a NACK of a version never served, or of a gateway that does not exist, is not recorded', () => {
  const nacks = new NackTracker(served);
  assert.equal(nacks.nack({ nodeId: 'intruder', nodeKey: 'default/gw', typeUrl: routeType, version: 'v1', message: 'fake' }), false);
  assert.equal(nacks.nack({ nodeId: 'intruder', nodeKey: 'default/gw', typeUrl: routeType, version: 'made-up', message: 'fake' }), false);
  assert.equal(nacks.nack({ nodeId: 'intruder', nodeKey: 'nobody/gw-1', typeUrl: routeType, version: 'v2', message: 'fake' }), false);
  assert.deepEqual(nacks.apply([gatewayRecord]), [gatewayRecord]);
});

test("a NACK is forgotten when its Envoy disconnects or its gateway goes away; Envoy's message is capped", () => {
  const nacks = new NackTracker(served);
  nacks.nack({ nodeId: 'e1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v2', message: 'x'.repeat(100_000) });
  assert.ok((programmedOf(nacks.apply([gatewayRecord]))?.message.length ?? 0) < MAX_NACK_MESSAGE + 200);
  assert.equal(nacks.disconnected({ nodeId: 'e2', nodeKey: 'default/gw' }), false, 'another Envoy of the gateway');
  assert.equal(nacks.disconnected({ nodeId: 'e1', nodeKey: 'default/gw' }), true);
  assert.deepEqual(nacks.apply([gatewayRecord]), [gatewayRecord]);

  nacks.nack({ nodeId: 'e1', nodeKey: 'default/gw', typeUrl: routeType, version: 'v2', message: 'x' });
  nacks.retain(new Set(['other/gw']));
  assert.deepEqual(nacks.apply([gatewayRecord]), [gatewayRecord]);
});

test('a withheld route says on its entry for the refusing gateway that Envoy rejected it, and why', () => {
  const route = {
    key: 'gateway.networking.k8s.io/HTTPRoute/a/bad',
    id: 'HTTPRoute a/bad',
    generation: 4,
    status: {
      parents: [
        { parentRef: { name: 'gw', namespace: 'default' }, conditions: [{ type: 'Accepted', status: 'True' }, { type: 'ResolvedRefs', status: 'True' }] },
        { parentRef: { name: 'gw2' }, conditions: [{ type: 'Accepted', status: 'True' }] },
      ],
    },
  };
  const option = { key: 'gateway.solo.io/RouteOption/a/opt', id: 'RouteOption a/opt', status: { conditions: [{ type: 'Accepted', status: 'True' }] } };
  const rejection = { nodeId: 'envoy-1', typeUrl: routeType, version: 'v9', message: 'regex too big' };
  const withheld = new Map([
    [route.key, [{ gateway: 'default/gw', rejection, previousServes: true }]],
    [option.key, [{ gateway: 'default/gw', rejection, previousServes: false }]],
  ]);
  const [r, o, g] = withRejectedResources([route, option, gatewayRecord], withheld);
  const parents = r?.status.parents as { conditions: { type: string; status: string; reason?: string; message?: string; observedGeneration?: number }[] }[];
  const accepted = parents[0]?.conditions.find((c) => c.type === 'Accepted');
  assert.equal(accepted?.status, 'False');
  assert.equal(accepted?.reason, 'RejectedByEnvoy');
  assert.equal(accepted?.observedGeneration, 4);
  assert.match(accepted?.message ?? '', /Envoy envoy-1 of Gateway default\/gw rejected RouteConfiguration version v9 with this resource: regex too big; its last accepted version keeps serving/);
  assert.ok(parents[0]?.conditions.some((c) => c.type === 'ResolvedRefs'), 'the other conditions stay');
  assert.equal(parents[1]?.conditions[0]?.status, 'True', 'another gateway is unaffected');
  const optionAccepted = (o?.status.conditions as { type: string; status: string; message: string }[]).find((c) => c.type === 'Accepted');
  assert.equal(optionAccepted?.status, 'False');
  assert.match(optionAccepted?.message ?? '', /it is not served/);
  assert.equal(g, gatewayRecord);
});

test('the ext-auth service\'s NACK of AuthConfigs it could not compile makes each Accepted=False until a newer version is ACKed', () => {
  const nacks = new NackTracker(served);
  const extauth = { nodeId: 'portico:extauth/1', nodeKey: 'portico:extauth', typeUrl: 'type.googleapis.com/google.protobuf.Struct' };
  nacks.nack({ ...extauth, version: 'v2', message: 'applied without 1 item(s):\nAuthConfig ns/jwt: JSON Web Key Set malformed' });
  nacks.retain(new Set(['default/gw'])); // the services' records are kept when gateways come and go
  const record = (name: string) => ({ key: `enterprise.gloo.solo.io/AuthConfig/ns/${name}`, id: `AuthConfig ns/${name}`, status: { conditions: [{ type: 'Accepted', status: 'True' }] } });
  const [jwt, keys] = nacks.apply([record('jwt'), record('keys')]);
  assert.deepEqual(jwt?.status.conditions, [
    { type: 'Accepted', status: 'False', reason: 'Invalid', message: 'the ext-auth service cannot use it: JSON Web Key Set malformed; the routes that use it are denied until it is fixed' },
  ]);
  assert.deepEqual(keys, record('keys'));
  nacks.ack({ ...extauth, version: 'v3' });
  assert.deepEqual(nacks.apply([record('jwt')]), [record('jwt')]);
});

test("a listener Envoy cannot bind is Accepted=False, PortUnavailable and Programmed=False on its own entry; the others are untouched", () => {
  const listenerType = 'type.googleapis.com/envoy.config.listener.v3.Listener';
  const gateway = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'gw', namespace: 'default' }, spec: { listeners: [{ name: 'web', port: 8080 }, { name: 'admin', port: 9090 }, { name: 'web-b', port: 8080 }] } };
  const nacks = new NackTracker({
    servedVersion: (key, typeUrl) => (key === 'default/gw' && typeUrl === listenerType ? 'l1' : undefined),
    listenersOnPort: (gw, port) => listenersOnPort([gateway as never], gw, port),
  });
  const message = "Error adding/updating listener(s) default/gw/8080: cannot bind '0.0.0.0:8080': Address already in use\n";
  assert.equal(nacks.nack({ nodeId: 'envoy-1', nodeKey: 'default/gw', typeUrl: listenerType, version: 'l1', message }), true);
  const ok = [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'True' }];
  const record = { ...gatewayRecord, status: { ...gatewayRecord.status, listeners: ['web', 'admin', 'web-b'].map((name) => ({ name, conditions: ok })) } };
  const [out] = nacks.apply([record]);
  const listeners = out?.status.listeners as { name: string; conditions: { type: string; status: string; reason?: string; message?: string }[] }[];
  for (const name of ['web', 'web-b']) {
    const conditions = listeners.find((l) => l.name === name)?.conditions ?? [];
    assert.equal(conditions.find((c) => c.type === 'Accepted')?.reason, 'PortUnavailable');
    assert.match(conditions.find((c) => c.type === 'Accepted')?.message ?? '', /cannot listen on port 8080: Address already in use/);
    assert.equal(conditions.find((c) => c.type === 'Programmed')?.status, 'False');
  }
  assert.deepEqual(listeners.find((l) => l.name === 'admin')?.conditions, ok);
  assert.equal(programmedOf([out as never])?.status, 'False');
});
