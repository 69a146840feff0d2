// One AuthConfig compiled into an authorizer: its steps, combined by booleanExpr (default: all, in order). An
// all-of stops at the first denial and returns it; an any-of stops at the first allow, and when every branch
// denies returns the first denial (its status and challenge are what the client should see). The principal is
// that of the steps that allowed: an any-of's allowing branch, an all-of's first step that established one.
import type { AuthConfigIr, AuthStepIr } from '../contracts/extauth.ts';
import { apiKeyStep } from './api-key-auth.ts';
import { basicAuthStep } from './basic-auth.ts';
import { allow, type Allow, type CheckInput, type Decision, type Step } from './decision.ts';
import type { Expr } from '../contracts/auth-expr.ts';
import { jwtStep } from './jwt-auth.ts';
import { passThroughStep } from './pass-through-auth.ts';

export interface Authorizer {
  check(input: CheckInput): Promise<Decision>;
  /** Releases what its steps hold open (pass-through channels). */
  close(): void;
}

export function compileAuthConfig(ir: AuthConfigIr): Authorizer {
  const closers: (() => void)[] = [];
  const steps = new Map<string, Step>(ir.steps.map((s) => [s.name, compileStep(s, closers)]));
  const expr: Expr = ir.expr ?? { all: ir.steps.map((s) => ({ step: s.name })) };
  return {
    check: (input) => evaluate(expr, steps, input),
    close: () => closers.forEach((c) => c()),
  };
}

function compileStep(s: AuthStepIr, closers: (() => void)[]): Step {
  if ('basic' in s) return basicAuthStep(s.basic);
  if ('apiKey' in s) return apiKeyStep(s.apiKey);
  if ('jwt' in s) return jwtStep(s.jwt);
  const pass = passThroughStep(s.passThrough);
  closers.push(pass.close);
  return pass.step;
}

async function evaluate(expr: Expr, steps: ReadonlyMap<string, Step>, input: CheckInput): Promise<Decision> {
  if ('step' in expr) return (steps.get(expr.step) as Step)(input);
  if ('all' in expr) {
    const passed: Allow[] = [];
    for (const part of expr.all) {
      const d = await evaluate(part, steps, input);
      if (!d.allow) return d;
      passed.push(d);
    }
    return merge(passed);
  }
  let firstDenial: Decision | undefined;
  for (const part of expr.any) {
    const d = await evaluate(part, steps, input);
    if (d.allow) return d;
    firstDenial ??= d;
  }
  return firstDenial as Decision;
}

/** The headers of every step that passed; a header one step sets is not removed because another could not. */
function merge(passed: Allow[]): Allow {
  const headers = Object.assign({}, ...passed.map((p) => p.headers)) as Record<string, string>;
  const remove = [...new Set(passed.flatMap((p) => p.remove))].filter((h) => !(h in headers));
  return allow(headers, remove, passed.find((p) => p.userId !== undefined)?.userId);
}
