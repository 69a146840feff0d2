import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envoyFormatProblem } from './envoy-format.ts';

test('Gloo header values: %% and the accepted Envoy operators pass; what Envoy refuses, and ENVIRONMENT, do not', () => {
  for (const ok of ['plain', '100%%', '%REQ(x-a)%', '%REQ(x-a):10%', '%START_TIME%', '%START_TIME(%s)%', '%DOWNSTREAM_REMOTE_ADDRESS% and %PROTOCOL%', '%UPSTREAM_METADATA(["a","b"])%', '']) {
    assert.equal(envoyFormatProblem(ok), undefined, ok);
  }
  assert.equal(envoyFormatProblem('50%off'), "'%' at position 2 starts no Envoy operator: write '%%' for a literal percent sign");
  assert.equal(envoyFormatProblem('a%'), "'%' at position 1 starts no Envoy operator: write '%%' for a literal percent sign");
  assert.equal(envoyFormatProblem('%REQ%'), '%REQ(…)% needs an argument');
  assert.equal(envoyFormatProblem('%HOSTNAME(x)%'), '%HOSTNAME% takes no argument');
  assert.match(envoyFormatProblem('%ENVIRONMENT(SECRET)%') ?? '', /^%ENVIRONMENT% is not an Envoy operator Portico accepts in header values/);
  assert.match(envoyFormatProblem('%DOWNSTREAM_REMOTE_ADDRESS%%') ?? '', /position 27/);
});
