// The caps of the ADS gRPC server (grpc-js channel options): what one client may take of the controller. An Envoy
// or a Portico service holds one ADS stream per connection, so a handful of streams is all a connection needs.
import type { ServerOptions } from '@grpc/grpc-js';

export const ADS_SERVER_OPTIONS: ServerOptions = {
  // SETTINGS_MAX_CONCURRENT_STREAMS: one ADS stream per client; room for a few more, not for a flood.
  'grpc.max_concurrent_streams': 100,
  // gRPC's default, stated: a DiscoveryRequest (a NACK's error detail included) is far smaller.
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
  // A PING a minute, and a peer that does not answer within 20 s is gone (its host died without a FIN): its
  // stream and connection are freed instead of waiting for TCP to give up, hours later.
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
  // A connection that opened no stream for 5 minutes (a client that only connected) is closed.
  'grpc.max_connection_idle_ms': 300_000,
};
