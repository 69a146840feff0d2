// Translation benchmark: N HTTPRoutes through the whole pure pipeline (gateway translator + xDS translator), cold.
// Run: bin/portico-node bench/translate.ts   (or: . scripts/env.sh && node bench/translate.ts [1000 10000])
import { runPipeline } from '../src/app/pipeline.ts';
import { syntheticResources } from './generate.ts';

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
for (const n of sizes.length ? sizes : [1000, 10000]) {
  const resources = syntheticResources(n);
  const started = performance.now();
  const out = runPipeline(resources, []);
  const ms = performance.now() - started;
  const routes = out.ir.gateways.reduce((sum, g) => sum + g.listeners.reduce((s, l) => s + l.virtualHosts.reduce((v, h) => v + h.routes.length, 0), 0), 0);
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  console.log(JSON.stringify({ httpRoutes: n, envoyRoutes: routes, problems: out.problems.length, translateMs: Math.round(ms), rssMb: Math.round(rssMb), targetMs: n >= 10000 ? 1000 : undefined }));
}
