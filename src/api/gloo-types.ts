// Spec types of the Gloo-style extension kinds (gloo.solo.io/v1), shaped like Gloo's YAML.

export interface UpstreamSpec {
  static?: {
    hosts: { addr: string; port: number; sniAddr?: string }[];
    useTls?: boolean;
  };
}
