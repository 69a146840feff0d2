// Core (group '') kinds that Portico reads from its secret sources rather than from resource files.

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/**
 * A Kubernetes TLS Secret, its data as plain text (Kubernetes' `stringData`): the certificate chain and the
 * private key, both PEM. Never log or report the values; name the Secret and the key (`tls.crt`) instead.
 */
export interface SecretSpec {
  type: string;
  stringData: { 'tls.crt'?: string; 'tls.key'?: string };
}
