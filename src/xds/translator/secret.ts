// IR certificates → SDS Secrets. Listeners name them (tls_certificate_sds_secret_configs) and Envoy fetches
// them on the ADS stream, so a rotated certificate is a new Secret only: the listener stays as it is and
// keeps its connections (no drain).
import type { SecretIr, TlsChainIr, TlsVersionIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { ADS_CONFIG_SOURCE } from './config-source.ts';

export function buildSecret(secret: SecretIr): XdsObject {
  return {
    name: secret.name,
    tls_certificate: { certificate_chain: { inline_string: secret.certificateChain }, private_key: { inline_string: secret.privateKey } },
  };
}

const TLS_VERSIONS: Record<TlsVersionIr, string> = { '1.0': 'TLSv1_0', '1.1': 'TLSv1_1', '1.2': 'TLSv1_2', '1.3': 'TLSv1_3' };

/** The filter chain's transport socket: TLS with its certificates by SDS, chosen by SNI among them. */
export function buildDownstreamTls(chain: TlsChainIr): XdsObject {
  const params: XdsObject = {
    ...(chain.minVersion && { tls_minimum_protocol_version: TLS_VERSIONS[chain.minVersion] }),
    ...(chain.maxVersion && { tls_maximum_protocol_version: TLS_VERSIONS[chain.maxVersion] }),
    ...(chain.cipherSuites && { cipher_suites: chain.cipherSuites }),
  };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      common_tls_context: {
        ...(Object.keys(params).length && { tls_params: params }),
        tls_certificate_sds_secret_configs: chain.certificates.map((name) => ({ name, sds_config: ADS_CONFIG_SOURCE })),
        alpn_protocols: ['h2', 'http/1.1'],
      },
    },
  };
}
