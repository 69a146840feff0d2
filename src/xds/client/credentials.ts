// gRPC channel credentials for a client of Portico's ADS server: plaintext, TLS trusting `ca`, or mutual TLS.
import * as grpc from '@grpc/grpc-js';

/** PEM contents. `cert` and `key` identify the client for mutual TLS. */
export interface ClientTls {
  ca: string;
  cert?: string;
  key?: string;
}

export function channelCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const pem = (text: string | undefined) => (text ? Buffer.from(text) : null);
  return grpc.credentials.createSsl(Buffer.from(tls.ca), pem(tls.key), pem(tls.cert));
}

/** `authorization: Bearer <token>` when a token is set, as the ADS server asks. */
export function tokenMetadata(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}
