// envoy.service.auth.v3.Authorization/Check on the wire: the gRPC method (bytes in, bytes out, so a pass-through
// can forward what Envoy sent as it is), CheckRequest → CheckInput, and Decision ↔ CheckResponse (an allow's
// principal in dynamic_metadata, see contracts/extauth.ts). Decoding reads the few fields the service needs straight off
// protobufjs's message: this is the hot path.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { USER_ID_METADATA_KEY } from '../contracts/extauth.ts';
import { envoyRoot } from '../xds/protos.ts';
import { toStruct } from '../xds/service-config.ts';
import { allow, type CheckInput, type Decision } from './decision.ts';

const passThrough = (b: Buffer): Buffer => b;

/** The method's path: what Envoy's gRPC client POSTs to. */
export const CHECK = '/envoy.service.auth.v3.Authorization/Check';

/** For grpc-js clients (passThroughAuth.grpc, the tests). */
export const authorizationService: ServiceDefinition = {
  Check: {
    path: CHECK,
    requestStream: false,
    responseStream: false,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  },
};

/** google.rpc codes the response carries beside the HTTP status. */
const RPC_OK = 0;
const RPC_PERMISSION_DENIED = 7;
const RPC_UNAUTHENTICATED = 16;

let types: { request: protobuf.Type; response: protobuf.Type } | undefined;
function checkTypes() {
  types ??= {
    request: envoyRoot().lookupType('envoy.service.auth.v3.CheckRequest'),
    response: envoyRoot().lookupType('envoy.service.auth.v3.CheckResponse'),
  };
  return types;
}

interface DecodedRequest {
  attributes?: {
    context_extensions?: Record<string, string>;
    request?: { http?: { headers?: Record<string, string>; path?: string; method?: string } };
  };
}

export function decodeCheckRequest(raw: Uint8Array): { input: CheckInput; context: Readonly<Record<string, string>> } {
  const { attributes } = checkTypes().request.decode(raw) as DecodedRequest;
  const http = attributes?.request?.http;
  return {
    input: { headers: http?.headers ?? {}, path: http?.path ?? '', method: http?.method ?? '', raw },
    context: attributes?.context_extensions ?? {},
  };
}

export function encodeCheckResponse(decision: Decision): Buffer {
  const message = decision.allow
    ? {
        status: { code: RPC_OK },
        ok_response: { headers: headerOptions(decision.headers), headers_to_remove: decision.remove },
        ...(decision.userId !== undefined && { dynamic_metadata: toStruct({ [USER_ID_METADATA_KEY]: decision.userId }) }),
      }
    : {
        status: { code: decision.status === 401 ? RPC_UNAUTHENTICATED : RPC_PERMISSION_DENIED },
        denied_response: { status: { code: decision.status }, headers: headerOptions(decision.headers ?? {}), body: decision.body ?? '' },
      };
  // Plain objects straight into encode (no fromObject): the shapes above are the wire's, enums as numbers.
  const bytes = checkTypes().response.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** protobufjs's decoded Struct: a Value's unset string_value reads as the empty string. */
type DecodedStruct = { fields?: Record<string, { stringValue?: string }> };

interface DecodedResponse {
  status?: { code?: number };
  dynamic_metadata?: DecodedStruct | null;
  ok_response?: { headers?: { header?: { key?: string; value?: string } }[]; headers_to_remove?: string[]; dynamic_metadata?: DecodedStruct | null };
  denied_response?: { status?: { code?: number }; headers?: { header?: { key?: string; value?: string } }[]; body?: string };
}

/** Another ext_authz service's answer, as a Decision (for passThroughAuth.grpc); its principal, if it names one. */
export function decodeCheckResponse(raw: Uint8Array, reason: string): Decision {
  const r = checkTypes().response.decode(raw) as DecodedResponse;
  if ((r.status?.code ?? RPC_OK) === RPC_OK) {
    // The deprecated ok_response.dynamic_metadata, when set, wins (as in Envoy).
    const metadata = r.ok_response?.dynamic_metadata ?? r.dynamic_metadata;
    const userId = metadata?.fields?.[USER_ID_METADATA_KEY]?.stringValue || undefined;
    return allow(headerMap(r.ok_response?.headers), r.ok_response?.headers_to_remove ?? [], userId);
  }
  const denied = r.denied_response;
  return { allow: false, status: denied?.status?.code || 403, reason, headers: headerMap(denied?.headers), ...(denied?.body && { body: denied.body }) };
}

/** HeaderValueOption.HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD: a client's value never survives. */
const OVERWRITE_IF_EXISTS_OR_ADD = 2;

function headerOptions(headers: Record<string, string>): object[] {
  return Object.entries(headers).map(([key, value]) => ({ header: { key, value }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }));
}

function headerMap(options: { header?: { key?: string; value?: string } }[] = []): Record<string, string> {
  return Object.fromEntries(options.flatMap((o) => (o.header?.key ? [[o.header.key, o.header.value ?? '']] : [])));
}
