// moto_server (a local AWS API) on a random loopback port, for the EC2 tests. Clients reach it through the
// SDK's standard credential chain, so fake credentials are put in this process's environment (moto accepts
// any); nothing here can reach real AWS. moto keeps one set of resources per account and tells accounts
// apart by access key: `assumeRole` gives credentials of another account, whose instances no other
// credentials see.
import type { TestContext } from 'node:test';
import { EC2Client, RunInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import type { AwsCredentials } from '../../src/api/aws-secret.ts';
import { freePort, requireBinary, restartable, startProcess } from './components.ts';

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the `endpoint` of AWS SDK clients. */
  endpoint: string;
  /** An EC2 client of this server (for setting instances up), with the environment's or the given credentials. */
  ec2(region?: string, credentials?: AwsCredentials): EC2Client;
  /** Temporary credentials of a role in `account` (STS AssumeRole; moto needs no such role to exist). */
  assumeRole(account: string): Promise<AwsCredentials>;
  /** Stops the server (an EC2 outage: clients see refused connections). */
  stop(): Promise<void>;
  /** Starts it again on the same port; moto keeps nothing, so it comes back with no instances. */
  restart(): Promise<void>;
}

export async function startMoto(t: Pick<TestContext, 'after'>): Promise<MotoServer> {
  const bin = requireBinary('moto_server');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const start = () =>
    startProcess(bin, ['-H', '127.0.0.1', '-p', String(port)], {
      timeoutMs: 60_000,
      readyWhen: async () => (await fetch(`${endpoint}/moto-api/`)).ok,
    });
  const proc = await restartable(t, start);
  process.env.AWS_ACCESS_KEY_ID ??= 'portico-test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'portico-test';
  const clients: EC2Client[] = [];
  t.after(() => clients.forEach((c) => c.destroy()));
  return {
    endpoint,
    ec2: (region = 'us-east-1', credentials?: AwsCredentials) => {
      const client = new EC2Client({ region, endpoint, ...(credentials && { credentials }) });
      clients.push(client);
      return client;
    },
    assumeRole: (account) => assumeRole(endpoint, account),
    stop: proc.stop,
    restart: proc.restart,
  };
}

/** Starts `count` instances (of an AMI moto knows) tagged `tags`. */
export async function runInstances(ec2: EC2Client, count: number, tags: Record<string, string>): Promise<Instance[]> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      MinCount: count,
      MaxCount: count,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }),
  );
  return out.Instances ?? [];
}

/** `address:port` of each instance, sorted: how Envoy's cluster hosts read (see envoyClusterHosts). */
export function instanceHosts(list: Instance[], port: number, field: 'PrivateIpAddress' | 'PublicIpAddress' = 'PrivateIpAddress'): string[] {
  return list.map((i) => `${i[field]}:${port}`).sort();
}

/** STS's query API by hand (the STS SDK client is not a dependency); moto checks no signature. */
async function assumeRole(endpoint: string, account: string): Promise<AwsCredentials> {
  const body = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: `arn:aws:iam::${account}:role/portico-test`, RoleSessionName: 'portico-test' });
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=portico-test/20240101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const xml = await res.text();
  const field = (name: string) => {
    const value = new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)?.[1];
    if (!res.ok || !value) throw new Error(`moto AssumeRole answered ${res.status} without ${name}: ${xml.slice(0, 300)}`);
    return value;
  };
  return { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey'), sessionToken: field('SessionToken') };
}
