import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { limits } from '@nellie/core';
import { compileGlob } from './glob-matcher.ts';

const paths = [
  'a.ts',
  'src/a.ts',
  'src/a.tsx',
  'src/users/user.ts',
  'src/users/deep/nested/x.ts',
  'src/.hidden/a.ts',
  'lib/index.js',
  'README.md',
  'src',
  'src/users',
  'docs/a b/(group)/page.tsx',
  'test/a.test.ts',
  'x/y/z',
  'src/a.d.ts',
];

const patterns = [
  '*.ts',
  '**/*.ts',
  'src/**/*.ts',
  'src/**',
  'src/*',
  'src/*.ts',
  '*.{ts,tsx}',
  'src/{users,lib}/**',
  '**',
  '?.ts',
  'src/?.ts',
  '[ab].ts',
  'src/[^b].ts',
  'src/[a-c].tsx',
  '**/users/**/*.ts',
  '**/*.test.ts',
  'src/**/deep/**/x.ts',
  '{src,lib}/*.{ts,js}',
  'x/**/z',
  'README.md',
  'docs/**/page.tsx',
  '*',
  '*/*',
  'src/**/*',
];

describe('compileGlob', () => {
  it('matches like picomatch (dot files included, base name for patterns without a slash)', () => {
    for (const pattern of patterns) {
      const expected = picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
      const compiled = compileGlob(pattern);
      for (const path of paths) {
        expect({ pattern, path, matches: compiled.matches(path) }).toEqual({
          pattern,
          path,
          matches: expected(path),
        });
      }
    }
  });

  it('supports escapes, negation and literal parentheses', () => {
    expect(compileGlob('src/[!b].ts').matches('src/a.ts')).toBe(true);
    expect(compileGlob('src/[!b].ts').matches('src/b.ts')).toBe(false);
    expect(compileGlob('src/\\*.ts').matches('src/*.ts')).toBe(true);
    expect(compileGlob('src/\\*.ts').matches('src/a.ts')).toBe(false);
    expect(compileGlob('!**/*.ts').matches('src/a.ts')).toBe(false);
    expect(compileGlob('!**/*.ts').matches('src/a.js')).toBe(true);
    expect(compileGlob('docs/**/(group)/*.tsx').matches('docs/a b/(group)/page.tsx')).toBe(true);
  });

  it('rejects extglobs and malformed patterns with INVALID_INPUT naming what is allowed', () => {
    for (const pattern of [
      '+(*?)Q',
      'src/@(a|b).ts',
      '!(x)',
      '*(a)',
      '?(a)',
      '[abc',
      '{a,b',
      'a\\',
      '[[:alpha:]]',
      '[z-a]',
    ]) {
      let error: unknown;
      try {
        compileGlob(pattern);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ code: 'INVALID_INPUT' });
      expect(String(error)).toContain('Use `*`, `**`, `?`');
    }
  });

  it('caps length, wildcards and brace depth', () => {
    expect(() => compileGlob('a'.repeat(limits.globLength + 1))).toThrowError(/at most 500/);
    expect(() => compileGlob('a'.repeat(limits.globLength))).not.toThrow();
    expect(() => compileGlob('*'.concat('a*'.repeat(limits.globWildcards)))).toThrowError(
      /more than 32 wildcards/,
    );
    expect(() => compileGlob('{a,{b,{c,{d,e}}}}')).toThrowError(/nested more than 3 deep/);
    expect(compileGlob('{a,{b,{c,d}}}').matches('d')).toBe(true);
  });

  it('matches a hostile pattern against a long path in steps linear in the path length', () => {
    // `*?*?…Q` is the shape that makes a backtracking matcher explore exponentially many splits.
    const hostile = `${'*?'.repeat(limits.globWildcards / 2)}Q`;
    const compiled = compileGlob(hostile);
    for (const length of [100, 1000, 4000]) {
      const path = 'a'.repeat(length);
      const counter = { steps: 0 };
      expect(compiled.matches(path, counter)).toBe(false);
      // Each character visits every program instruction at most twice (once to test, once to add).
      expect(counter.steps).toBeLessThanOrEqual((length + 1) * compiled.size * 2);
      expect(counter.steps).toBeGreaterThan(length);
    }
    const braces = compileGlob(`**/${'{a,*}'.repeat(10)}Q`);
    const counter = { steps: 0 };
    expect(braces.matches(`${'x/'.repeat(500)}${'a'.repeat(2000)}`, counter)).toBe(false);
    expect(counter.steps).toBeLessThanOrEqual(3001 * braces.size * 2);
  });
});
