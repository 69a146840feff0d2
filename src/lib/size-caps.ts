// The size caps on user input: one place for every limit, so each error names it and docs/security.md lists
// them. A cap keeps one tenant's huge or pathological input from costing every tenant (memory, CPU, a status
// that cannot be written); each is far above what a real configuration needs.

export const SIZE_CAPS = {
  /** A resource file in the watched folder (it may hold many documents). */
  fileBytes: 4 * 1024 * 1024,
  /** A Consul KV value: Consul's own default limit (kv_max_value_size, 512 KiB), so a raised Consul limit changes nothing. */
  kvValueBytes: 512 * 1024,
  /** Any string field without a tighter limit of its own (a JWKS, an annotation, a header value…). */
  stringChars: 32 * 1024,
  /** Any list without a tighter limit of its own. */
  listItems: 1024,
  /** Any map (labels, annotations, users, claims…) without a tighter limit of its own. */
  mapEntries: 1024,
  /** Problems reported per document: the rest are counted, so a garbage document still makes a short status. */
  problemsPerDocument: 20,
  /** YAML aliases in one document (the `yaml` package's maxAliasCount): more is an alias bomb. */
  yamlAliases: 100,
} as const;

/** Why a source of `bytes` bytes is refused (`what`: "file", "Consul KV value"), or undefined when it fits. */
export function oversize(what: string, bytes: number, cap: number): string | undefined {
  return bytes > cap ? `${what} is ${bytes} bytes; at most ${cap} bytes (${formatBytes(cap)}) are read` : undefined;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${n / 1024} KiB`;
}
