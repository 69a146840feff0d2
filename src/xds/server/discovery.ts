// The ADS gRPC service, serialised by our protobufjs root (not proto-loader), so requests and responses go
// through the same checked encoder as the resources they carry.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type AnyMessage } from '../encode.ts';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

/** The fields of a DiscoveryRequest the server reads. */
export interface DiscoveryRequest {
  version_info?: string;
  /** Only guaranteed on the first request of a stream. */
  node?: { id?: string; cluster?: string };
  resource_names?: string[];
  type_url?: string;
  response_nonce?: string;
  /** Present when Envoy rejects (NACKs) the response named by response_nonce. */
  error_detail?: { code?: number; message?: string };
}

export interface DiscoveryResponse {
  version_info: string;
  resources: AnyMessage[];
  type_url: string;
  nonce: string;
}

/** A request, or why its bytes could not be decoded: one bad message must not end the stream. */
export type IncomingRequest = { ok: true; request: DiscoveryRequest } | { ok: false; error: string };

export function decodeRequest(bytes: Buffer): IncomingRequest {
  try {
    return { ok: true, request: decodeMessage(REQUEST, bytes) as DiscoveryRequest };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

export function encodeResponse(response: DiscoveryResponse): Buffer {
  const bytes = encodeMessage(RESPONSE, { ...response });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeRequest(request: DiscoveryRequest): Buffer {
  const bytes = encodeMessage(REQUEST, { ...request });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A response as a client sees it: each resource unpacked to its `'@type'` form. */
export interface ReceivedResponse {
  version_info: string;
  resources: Record<string, unknown>[];
  type_url: string;
  nonce: string;
}

export function decodeResponse(bytes: Buffer): ReceivedResponse {
  const { version_info = '', resources = [], type_url = '', nonce = '' } = decodeMessage(RESPONSE, bytes) as Partial<ReceivedResponse>;
  return { version_info, resources, type_url, nonce };
}

const passThrough = (b: Buffer): Buffer => b;

/** State of the world is served; delta is declared only so that it can answer UNIMPLEMENTED clearly. */
export const adsService: ServiceDefinition = {
  StreamAggregatedResources: {
    path: `${SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
  DeltaAggregatedResources: {
    path: `${SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  },
};
