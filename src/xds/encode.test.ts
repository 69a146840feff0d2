import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtoError } from '../lib/errors.ts';
import { decodeMessage, encodeMessage, packAny } from './encode.ts';
import { TYPE_URLS } from './resources.ts';

const LISTENER = 'envoy.config.listener.v3.Listener';
const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const CLA = 'envoy.config.endpoint.v3.ClusterLoadAssignment';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

const listener = {
  name: 'default/gw/80',
  address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: 'gw',
            codec_type: 'AUTO',
            rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: 'default/gw/80' },
            http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
          },
        },
      ],
    },
  ],
};

const cluster = {
  name: 'upstream/default/echo',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'upstream/default/echo' },
  connect_timeout: { seconds: 5, nanos: 250_000_000 },
  lb_policy: 'LEAST_REQUEST',
};

const loadAssignment = {
  cluster_name: 'upstream/default/echo',
  endpoints: [
    {
      locality: { zone: 'a' },
      lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } }, load_balancing_weight: { value: 3 } },
        { endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 8080 } } }, health_status: 'DRAINING' },
      ],
    },
  ],
};

function roundTrip(typeName: string, obj: Record<string, unknown>): Record<string, unknown> {
  return decodeMessage(typeName, encodeMessage(typeName, obj));
}

function rejects(typeName: string, obj: Record<string, unknown>, message: RegExp): void {
  assert.throws(() => encodeMessage(typeName, obj), (err: unknown) => {
    assert.ok(err instanceof ProtoError, `expected a ProtoError, got ${String(err)}`);
    assert.equal(err.code, 'PORTICO_PROTO');
    assert.match(err.message, message);
    return true;
  });
}

describe('encodeMessage / decodeMessage', () => {
  it('round-trips a Listener whose HCM typed_config holds a Router filter', () => {
    assert.deepEqual(roundTrip(LISTENER, listener), listener);
  });

  it('round-trips a Cluster with EDS config and a Duration', () => {
    assert.deepEqual(roundTrip(CLUSTER, cluster), cluster);
  });

  it('round-trips a ClusterLoadAssignment', () => {
    assert.deepEqual(roundTrip(CLA, loadAssignment), loadAssignment);
  });

  it("accepts proto3 JSON forms Envoy's YAML uses for wrappers and durations", () => {
    const decoded = roundTrip(CLUSTER, { ...cluster, connect_timeout: '1.5s', per_connection_buffer_limit_bytes: 1024 });
    assert.deepEqual(decoded.connect_timeout, { seconds: 1, nanos: 500_000_000 });
    assert.deepEqual(decoded.per_connection_buffer_limit_bytes, { value: 1024 });
  });

  it('keeps 64-bit integers exact: numbers when safe, strings beyond', () => {
    const big = roundTrip(CLUSTER, { ...cluster, connect_timeout: { seconds: '9007199254740993' } });
    assert.deepEqual(big.connect_timeout, { seconds: '9007199254740993' });
  });

  it('leaves an Any of a type that is not loaded packed, and encodes it back unchanged', () => {
    const raw = { type_url: 'type.googleapis.com/example.Unknown', value: Buffer.from([8, 1]).toString('base64') };
    const withRaw = { ...cluster, typed_extension_protocol_options: { x: raw } };
    assert.deepEqual(roundTrip(CLUSTER, withRaw), withRaw);
  });
});

describe('packAny', () => {
  it('packs by @type and decodes back', () => {
    const any = packAny({ '@type': TYPE_URLS.cluster, ...cluster });
    assert.equal(any.type_url, TYPE_URLS.cluster);
    assert.deepEqual(decodeMessage(CLUSTER, any.value), cluster);
  });
});

describe('encodeMessage rejects what protobufjs would silently get wrong', () => {
  it('an Any whose type is not loaded', () => {
    const bad = structuredClone(listener);
    bad.filter_chains[0]!.filters[0]!.typed_config.http_filters[0]!.typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.nope.v3.Nope';
    rejects(LISTENER, bad, /^filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\]\.typed_config: message type 'envoy\.extensions\.filters\.http\.nope\.v3\.Nope' is not loaded; add its \.proto file to ENVOY_PROTO_FILES/);
  });

  it('an Any written with typeUrl instead of @type', () => {
    rejects(CLUSTER, { ...cluster, typed_extension_protocol_options: { x: { typeUrl: TYPE_URLS.cluster, value: '' } } }, /typed_extension_protocol_options\["x"\]: a google\.protobuf\.Any needs '@type'.*found keys: typeUrl, value/);
  });

  it('an unknown field, nested inside an Any', () => {
    const bad = structuredClone(listener) as Record<string, any>;
    bad.filter_chains[0].filters[0].typed_config.stat_prefx = 'gw';
    rejects(LISTENER, bad, /^filter_chains\[0\]\.filters\[0\]\.typed_config: unknown field 'stat_prefx' for envoy\.extensions\.filters\.network\.http_connection_manager\.v3\.HttpConnectionManager$/);
  });

  it('a camelCase field name, with a hint', () => {
    rejects(CLUSTER, { ...cluster, connectTimeout: { seconds: 1 } }, /unknown field 'connectTimeout'.*did you mean 'connect_timeout'\?/);
  });

  it('an enum string that is not a value of the enum', () => {
    rejects(CLUSTER, { ...cluster, lb_policy: 'ROUND_ROBN' }, /^lb_policy: 'ROUND_ROBN' is not a value of envoy\.config\.cluster\.v3\.Cluster\.LbPolicy \(one of ROUND_ROBIN, LEAST_REQUEST/);
  });

  it('an enum typo inside a list', () => {
    const bad = structuredClone(loadAssignment) as Record<string, any>;
    bad.endpoints[0].lb_endpoints[1].health_status = 'DRAINNG';
    rejects(CLA, bad, /^endpoints\[0\]\.lb_endpoints\[1\]\.health_status: 'DRAINNG' is not a value of envoy\.config\.core\.v3\.HealthStatus/);
  });

  it('two members of one oneof', () => {
    rejects(CLUSTER, { ...cluster, cluster_type: { name: 'custom' } }, /^'type' and 'cluster_type' are members of oneof 'cluster_discovery_type' of envoy\.config\.cluster\.v3\.Cluster; set only one$/);
  });

  it('a scalar of the wrong kind, which protobufjs would coerce', () => {
    const bad = structuredClone(loadAssignment) as Record<string, any>;
    bad.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = '80x';
    rejects(CLA, bad, /^endpoints\[0\]\.lb_endpoints\[0\]\.endpoint\.address\.socket_address\.port_value: expected uint32, got '80x'$/);
  });

  it('a malformed duration string', () => {
    rejects(CLUSTER, { ...cluster, connect_timeout: '5 seconds' }, /^connect_timeout: '5 seconds' is not a duration/);
  });

  it('a message type that is not loaded', () => {
    rejects('envoy.nope.v3.Nope', {}, /message type 'envoy\.nope\.v3\.Nope' is not loaded/);
  });
});
