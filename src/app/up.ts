// `portico up`: the all-in-one for a laptop or a VM — the controller, one real Envoy per programmed
// Gateway (started and stopped as Gateways come and go), the ext-auth service (in-process, on a Unix socket,
// started once an AuthConfig exists), and optionally the echo upstream.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEcho, type EchoServer } from '../echo/server.ts';
import { ExtAuthService } from '../extauth/service.ts';
import type { GatewayIr } from '../ir/types.ts';
import { findBinary } from '../lib/binaries.ts';
import type { Logger } from '../lib/logger.ts';
import { ServiceConfigClient } from '../xds/client/service-config-client.ts';
import { SERVICE_NODE_KEYS } from '../contracts/service-config.ts';
import { Controller } from './controller.ts';
import { startEnvoy, type EnvoyHandle } from './envoy.ts';
import { listenerProblem, portInUse, settledListenerStates } from './listener-state.ts';

/** How long Envoy may take to open a Gateway's ports before `up` says they are not ready (a loaded machine included). */
const LISTENER_WAIT_MS = 30_000;

export interface UpOptions {
  configDir: string;
  xdsAddress: string;
  adminAddress: string;
  echo?: { host: string; port: number };
  logger: Logger;
}

export class Up {
  readonly controller: Controller;
  readonly #opts: UpOptions;
  readonly #envoys = new Map<string, Promise<EnvoyHandle | undefined>>();
  #echo?: EchoServer;
  #envoyBin = '';
  /** Holds the ext-auth socket; Envoy's ext-auth cluster points there from the start. */
  readonly #runDir = mkdtempSync(join(tmpdir(), 'portico-up-'));
  readonly #extAuthAddress = `unix:${join(this.#runDir, 'extauth.sock')}`;
  #extAuth?: { service: ExtAuthService; client: ServiceConfigClient };

  constructor(opts: UpOptions) {
    this.#opts = opts;
    this.controller = new Controller({ configDir: opts.configDir, xdsAddress: opts.xdsAddress, adminAddress: opts.adminAddress, extAuthAddress: this.#extAuthAddress, logger: opts.logger });
  }

  async start(): Promise<void> {
    this.#envoyBin = findBinary('envoy', "run 'scripts/setup.sh envoy' (or 'make run', which installs it)");
    if (this.#opts.echo) {
      this.#echo = await startEcho({ name: 'echo', ...this.#opts.echo });
      this.#opts.logger.info({ url: `http://${this.#opts.echo.host}:${this.#echo.port}/` }, 'echo upstream listening');
    }
    this.controller.on('applied', () => {
      this.#reconcileEnvoys();
      if (this.controller.usesExtAuth()) this.#startExtAuth().catch((err) => this.#opts.logger.error({ err }, 'could not start the ext-auth service; routes with auth are denied'));
    });
    await this.controller.start();
  }

  async stop(): Promise<void> {
    const envoys = await Promise.all(this.#envoys.values());
    await Promise.all(envoys.map((e) => e?.stop()));
    this.#extAuth?.client.stop();
    await this.#extAuth?.service.close();
    await this.controller.stop();
    await this.#echo?.close();
    rmSync(this.#runDir, { recursive: true, force: true });
  }

  /** Once, when the first AuthConfig appears: in-process, so it costs no extra process when unused. */
  async #startExtAuth(): Promise<void> {
    if (this.#extAuth) return;
    const logger = this.#opts.logger.child({ component: 'extauth' });
    const service = new ExtAuthService(logger);
    const client = new ServiceConfigClient({
      address: `127.0.0.1:${this.controller.xdsPort}`,
      nodeKey: SERVICE_NODE_KEYS.extauth,
      logger,
      onConfig: (items) => service.apply(items),
    });
    this.#extAuth = { service, client };
    await service.listen(this.#extAuthAddress);
    client.start();
  }

  /** "ready: curl …" only for a listener Envoy holds; a port it could not open is named as such. */
  async #announce(key: string, gw: GatewayIr, envoy: EnvoyHandle): Promise<void> {
    const states = await settledListenerStates(envoy.adminPort, gw.listeners.map((l) => l.name), LISTENER_WAIT_MS);
    for (const l of gw.listeners) {
      const state = states.get(l.name) ?? { state: 'pending' };
      if (state.state === 'active') this.#opts.logger.info({ gateway: key, port: l.port }, `gateway ${key} ready: curl http://127.0.0.1:${l.port}/`);
      else this.#opts.logger.error({ gateway: key, port: l.port }, listenerProblem(key, l.port, state, await portInUse(l.address, l.port)));
    }
  }

  #reconcileEnvoys(): void {
    const wanted = new Map(this.controller.gateways().map((g) => [g.key, g]));
    for (const [key, gw] of wanted) {
      if (this.#envoys.has(key)) continue;
      const started = startEnvoy({ envoyBin: this.#envoyBin, gateway: key, xdsHost: '127.0.0.1', xdsPort: this.controller.xdsPort, logger: this.#opts.logger })
        .then(async (envoy) => {
          await this.#announce(key, gw, envoy);
          return envoy;
        })
        .catch((err) => {
          this.#opts.logger.error({ err, gateway: key }, 'could not start Envoy for the gateway');
          return undefined;
        });
      this.#envoys.set(key, started);
    }
    for (const [key, envoy] of this.#envoys) {
      if (wanted.has(key)) continue;
      this.#envoys.delete(key);
      void envoy.then((e) => e?.stop());
    }
  }
}
