// Delegation to another auth service: a gRPC ext_authz service gets the CheckRequest exactly as Envoy sent it; an
// HTTP service gets a POST with the allowed request headers, and 2xx allows (copying the allowed response
// headers upstream). A service that cannot be reached denies with 403, unless failureModeAllow. The principal is
// what a gRPC service publishes (its dynamic_metadata `userId`); an HTTP service's answer names none.
import * as grpc from '@grpc/grpc-js';
import type { PassThroughIr } from '../contracts/extauth.ts';
import { authorizationService, decodeCheckResponse } from './check-protocol.ts';
import { allow, deny, type Decision, type Step } from './decision.ts';

type CheckClient = grpc.Client & { Check(req: Uint8Array, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void };
const Client = grpc.makeGenericClientConstructor(authorizationService, 'Authorization');

/** A step and what it holds open (a gRPC channel), to close when its config is replaced. */
export interface PassThroughStep {
  step: Step;
  close(): void;
}

export function passThroughStep(ir: PassThroughIr): PassThroughStep {
  const unavailable = (why: string): Decision => (ir.failureModeAllow ? allow() : deny(403, `pass-through: ${why}`));
  if ('grpc' in ir) {
    const { address, timeoutMs } = ir.grpc;
    const client = new Client(address, grpc.credentials.createInsecure()) as unknown as CheckClient;
    const step: Step = (input) =>
      new Promise((resolve) => {
        client.Check(input.raw, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
          resolve(err || !res ? unavailable(`gRPC service ${address}: ${err ? grpc.status[err.code] : 'no answer'}`) : decodeCheckResponse(res, `pass-through: denied by ${address}`));
        });
      });
    return { step, close: () => client.close() };
  }
  const { url, allowedHeaders, allowedUpstreamHeaders, timeoutMs } = ir.http;
  const step: Step = async (input) => {
    const headers = Object.fromEntries(allowedHeaders.flatMap((h) => (input.headers[h] === undefined ? [] : [[h, input.headers[h] as string]])));
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
    } catch (err) {
      return unavailable(`HTTP service: ${(err as Error).name}`);
    }
    if (!res.ok) return deny(res.status === 401 ? 401 : 403, `pass-through: HTTP service answered ${res.status}`);
    const upstream = Object.fromEntries(allowedUpstreamHeaders.flatMap((h) => (res.headers.has(h) ? [[h, res.headers.get(h) as string]] : [])));
    return allow(upstream, allowedUpstreamHeaders.filter((h) => !(h in upstream)));
  };
  return { step, close: () => {} };
}
