import { readFileSync } from 'node:fs';
import { limits } from '@nellie/core';
import { expect, it } from 'vitest';
import { hookQueryLength } from './hook-runner.ts';

it('cuts prompts to the longest query the server accepts', () => {
  expect(hookQueryLength).toBe(limits.queryLength);
});

it('builds to one file that loads only Node modules (each prompt starts it)', () => {
  const bundle = readFileSync(new URL('../dist/hook.js', import.meta.url), 'utf8');
  const imports = [...bundle.matchAll(/(?:^|\n)import\b[^'"]*['"]([^'"]+)['"]/g)].map(
    (match) => match[1],
  );
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((specifier) => !specifier!.startsWith('node:'))).toEqual([]);
});
