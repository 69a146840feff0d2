// Every dynamic resource Portico serves comes over the one ADS stream.
export const ADS_CONFIG_SOURCE = { ads: {}, resource_api_version: 'V3' } as const;

export function duration(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
