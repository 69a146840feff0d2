// Core (group '') kinds that Portico reads from its secret sources rather than from resource files.

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';
/** Any other Secret: API keys, htpasswd files, cloud credentials. */
export const OPAQUE_SECRET_TYPE = 'Opaque';

/**
 * A Kubernetes Secret, its data as plain text (Kubernetes' `stringData`). A TLS Secret holds the certificate
 * chain `tls.crt` and the private key `tls.key` (PEM, and optionally `ca.crt`); an Opaque one any keys.
 * Never log or report the values; name the Secret and the key (`tls.crt`) instead.
 */
export interface SecretSpec {
  type: string;
  stringData: { 'tls.crt'?: string; 'tls.key'?: string; 'ca.crt'?: string; [key: string]: string | undefined };
}
