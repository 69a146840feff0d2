import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claimStrength, compareHostSpecificity, intersectHostnames, wildcardCovers } from './hostnames.ts';

test('a wildcard covers one or more labels in front of its suffix, never the bare suffix', () => {
  assert.equal(wildcardCovers('*.example.com', 'foo.example.com'), true);
  assert.equal(wildcardCovers('*.example.com', 'a.b.example.com'), true);
  assert.equal(wildcardCovers('*.example.com', '*.b.example.com'), true);
  assert.equal(wildcardCovers('*.example.com', 'example.com'), false);
  assert.equal(wildcardCovers('*.example.com', 'fooexample.com'), false);
  assert.equal(wildcardCovers('foo.example.com', 'foo.example.com'), false, 'only wildcards cover');
});

test('route hostnames intersected with the listener hostname', () => {
  const cases: [string | undefined, string[], string[]][] = [
    [undefined, [], ['*']],
    ['foo.example.com', [], ['foo.example.com']],
    [undefined, ['a.com', '*.b.com'], ['a.com', '*.b.com']],
    ['*.example.com', ['foo.example.com', 'example.com', 'foo.other.com'], ['foo.example.com']],
    ['*.example.com', ['*.com'], ['*.example.com']],
    ['foo.example.com', ['*.example.com'], ['foo.example.com']],
    ['foo.example.com', ['*.other.com', 'bar.example.com'], []],
  ];
  for (const [listener, route, want] of cases) assert.deepEqual(intersectHostnames(listener, route), want, `${listener} ∩ [${route}]`);
});

test('the most specific listener claims a hostname', () => {
  assert.ok((claimStrength('foo.example.com', 'foo.example.com') ?? 0) > (claimStrength('*.example.com', 'foo.example.com') ?? 0));
  assert.ok((claimStrength('*.b.example.com', 'a.b.example.com') ?? 0) > (claimStrength('*.example.com', 'a.b.example.com') ?? 0));
  assert.equal(claimStrength(undefined, 'anything.org'), 0);
  assert.equal(claimStrength('foo.example.com', 'bar.example.com'), undefined);
});

test('virtual hosts: exact hostnames, then longer wildcards, then the catch-all', () => {
  const hosts = ['*', '*.example.com', 'b.example.com', '*.a.example.com', 'a.example.com'];
  assert.deepEqual(hosts.sort(compareHostSpecificity), ['a.example.com', 'b.example.com', '*.a.example.com', '*.example.com', '*']);
});
