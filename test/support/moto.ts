// moto_server (a local AWS API) on a random loopback port, for the EC2 tests. Clients reach it through the
// SDK's standard credential chain, so fake credentials are put in this process's environment (moto accepts
// any); nothing here can reach real AWS.
import type { TestContext } from 'node:test';
import { EC2Client } from '@aws-sdk/client-ec2';
import { freePort, requireBinary, startProcess } from './components.ts';

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the `endpoint` of AWS SDK clients. */
  endpoint: string;
  /** An EC2 client of this server (for setting instances up). */
  ec2(region?: string): EC2Client;
}

export async function startMoto(t: Pick<TestContext, 'after'>): Promise<MotoServer> {
  const bin = requireBinary('moto_server');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = await startProcess(bin, ['-H', '127.0.0.1', '-p', String(port)], {
    timeoutMs: 60_000,
    readyWhen: async () => (await fetch(`${endpoint}/moto-api/`)).ok,
  });
  t.after(() => proc.stop());
  process.env.AWS_ACCESS_KEY_ID ??= 'portico-test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'portico-test';
  const clients: EC2Client[] = [];
  t.after(() => clients.forEach((c) => c.destroy()));
  return {
    endpoint,
    ec2: (region = 'us-east-1') => {
      const client = new EC2Client({ region, endpoint });
      clients.push(client);
      return client;
    },
  };
}
