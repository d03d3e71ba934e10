import { compileGlob } from '@nellie/storage/store-kit';
import { describe, expect, it } from 'vitest';
import { globLiteralPrefix } from './glob-prefix.ts';

describe('globLiteralPrefix', () => {
  it('takes the literal start of a glob, without a trailing slash', () => {
    expect(globLiteralPrefix('src/module-7/**')).toBe('src/module-7');
    expect(globLiteralPrefix('src/**/*.ts')).toBe('src');
    expect(globLiteralPrefix('src/util?.ts')).toBe('src/util');
    expect(globLiteralPrefix('docs/{a,b}/*.md')).toBe('docs');
    expect(globLiteralPrefix('lib/[ab]*.js')).toBe('lib');
    expect(globLiteralPrefix('src/a\\*b.ts')).toBe('src/a');
    expect(globLiteralPrefix('src/main.go')).toBe('src/main.go');
  });

  it('has none for negated globs, file-name globs and globs starting with a wildcard', () => {
    expect(globLiteralPrefix('!src/**')).toBe('');
    expect(globLiteralPrefix('*.ts')).toBe('');
    expect(globLiteralPrefix('main.go')).toBe('');
    expect(globLiteralPrefix('**/test/*.ts')).toBe('');
    expect(globLiteralPrefix('{src,lib}/**')).toBe('');
  });

  it('never leaves out a path the glob matches', () => {
    const paths = [
      'src',
      'src/module-7',
      'src/module-7/a.ts',
      'src/module-70/a.ts',
      'src/utilx.ts',
      'src/util.ts',
      'docs/a/x.md',
      'docs/c/x.md',
      'lib/a1.js',
      'src/a*b.ts',
      'src/main.go',
      'other/src/main.go',
    ];
    const globs = [
      'src/module-7/**',
      'src/**',
      'src/**/*.ts',
      'src/util?.ts',
      'docs/{a,b}/*.md',
      'lib/[ab]*.js',
      'src/a\\*b.ts',
      'src/main.go',
    ];
    for (const glob of globs) {
      const compiled = compileGlob(glob);
      const prefix = globLiteralPrefix(glob);
      for (const path of paths.filter((candidate) => compiled.matches(candidate))) {
        expect(path.startsWith(prefix), `${glob} matches ${path}`).toBe(true);
      }
    }
  });
});
