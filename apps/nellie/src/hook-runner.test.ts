import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

it('builds to one file that loads only Node modules (each prompt starts it)', () => {
  const bundle = readFileSync(new URL('../dist/hook.js', import.meta.url), 'utf8');
  const imports = [...bundle.matchAll(/(?:^|\n)import\b[^'"]*['"]([^'"]+)['"]/g)].map(
    (match) => match[1],
  );
  expect(imports.length).toBeGreaterThan(0);
  expect(imports.filter((specifier) => !specifier!.startsWith('node:'))).toEqual([]);
});
