// Typed errors with stable codes. Callers branch on `code`, never on message text.

export type ErrorCode =
  | 'PORTICO_CONFIG'
  | 'PORTICO_PROTO'
  | 'PORTICO_XDS'
  | 'PORTICO_IO'
  | 'PORTICO_DISCOVERY'
  | 'PORTICO_CONSUL'
  | 'PORTICO_VAULT'
  | 'PORTICO_RATELIMIT';

export class PorticoError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where a resource came from: a file (with 1-based line, and column for syntax errors) or a KV key. */
export interface SourceRef {
  file?: string;
  key?: string;
  line?: number;
  column?: number;
}

export function formatSource(src: SourceRef | undefined): string {
  if (!src) return '<unknown source>';
  const where = src.file ?? src.key ?? '<unknown source>';
  if (!src.line) return where;
  return src.column ? `${where}:${src.line}:${src.column}` : `${where}:${src.line}`;
}

/** One problem with user input: where it is, which field, and what is wrong. */
export interface FieldProblem {
  source?: SourceRef;
  /** e.g. `HTTPRoute default/web` */
  resource?: string;
  /** dotted path, e.g. `spec.rules[0].backendRefs[1].port` */
  field?: string;
  message: string;
}

export function formatProblem(p: FieldProblem): string {
  const parts = [formatSource(p.source)];
  if (p.resource) parts.push(p.resource);
  if (p.field) parts.push(p.field);
  return `${parts.join(': ')}: ${p.message}`;
}

export class ConfigError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PORTICO_CONFIG', message, options);
  }
}

export class ProtoError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PORTICO_PROTO', message, options);
  }
}

export class XdsError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PORTICO_XDS', message, options);
  }
}

/** A discovery source (Consul catalog, EC2) could not be read; the last endpoints it gave keep serving. */
export class DiscoveryError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PORTICO_DISCOVERY', message, options);
  }
}

/** Consul could not be reached or refused a request; the message says what was asked and, for a 403, which ACL rule is missing. */
export class ConsulError extends PorticoError {
  /** The HTTP status Consul answered with, when it answered. */
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('PORTICO_CONSUL', message, options);
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** Vault could not be reached or refused a request; the message names Vault's address, the path and what the token lacks. */
export class VaultError extends PorticoError {
  /** The HTTP status Vault answered with, when it answered. */
  readonly status?: number;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super('PORTICO_VAULT', message, options);
    if (options?.status !== undefined) this.status = options.status;
  }
}

/** The rate-limit service was given a configuration it cannot use, or could not count (Redis unreachable). */
export class RateLimitError extends PorticoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PORTICO_RATELIMIT', message, options);
  }
}
