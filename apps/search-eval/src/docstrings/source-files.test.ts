import { describe, expect, it } from 'vitest';
import { excludedContent, excludedPath } from './source-files.ts';

describe('excludedPath', () => {
  it('keeps sources and leaves out tests, builds for browsers, declarations and other files', () => {
    expect(excludedPath('lib/index.js')).toBeNull();
    expect(excludedPath('dist/esm/index.mjs')).toBeNull();
    expect(excludedPath('src/parser.ts')).toBeNull();
    expect(excludedPath('test/index.js')).toBe('directory');
    expect(excludedPath('src/__tests__/a.ts')).toBe('directory');
    expect(excludedPath('node_modules/x/index.js')).toBe('directory');
    expect(excludedPath('dist/umd/index.js')).toBe('directory');
    expect(excludedPath('dist/lib.min.js')).toBe('name');
    expect(excludedPath('dist/react.production.js')).toBe('name');
    expect(excludedPath('src/a.spec.ts')).toBe('name');
    expect(excludedPath('index.d.ts')).toBe('not JavaScript or TypeScript source');
    expect(excludedPath('README.md')).toBe('not JavaScript or TypeScript source');
  });
});

describe('excludedContent', () => {
  const plain = ['function a() {', '  return 1;', '}', ''].join('\n');
  it('keeps ordinary code', () => {
    expect(excludedContent(plain)).toBeNull();
  });
  it('leaves out minified code', () => {
    expect(excludedContent(`${plain}var x=${'1+'.repeat(600)}1;\n`)).toBe('minified');
  });
  it('leaves out webpack and esbuild bundles', () => {
    expect(excludedContent(`/******/ (() => {\n${plain}`)).toBe('bundled');
    const esbuild = [
      '// src/a.ts',
      plain,
      '// src/b.ts',
      plain,
      '// node_modules/c/index.js',
      plain,
    ].join('\n');
    expect(excludedContent(esbuild)).toBe('bundled');
  });
});
