/**
 * Which files of an installed package join the doc-comment corpus: hand-written JavaScript and
 * TypeScript sources, not tests, declaration files, minified or bundled builds.
 */
import { grammarForPath, type GrammarName } from './doc-comments.ts';

/** Larger files are left out (Nellie's indexer skips files over 1 MiB by default). */
export const maxSourceBytes = 512 * 1024;

const excludedDirectories = new Set([
  'node_modules',
  'test',
  'tests',
  '__tests__',
  '__mocks__',
  'spec',
  'fixtures',
  'example',
  'examples',
  'bench',
  'benchmark',
  'benchmarks',
  'coverage',
  'umd',
  'bundles',
]);

const excludedNames = /\.(min|bundle|umd|production|development|test|spec)\.[cm]?[jt]sx?$/;

/** Why a path is left out, or null when its extension and location qualify. */
export function excludedPath(relativePath: string): string | null {
  const segments = relativePath.split('/');
  const name = segments.at(-1) ?? '';
  if (segments.slice(0, -1).some((segment) => excludedDirectories.has(segment))) return 'directory';
  if (excludedNames.test(name)) return 'name';
  return grammarForPath(relativePath) === null ? 'not JavaScript or TypeScript source' : null;
}

/** Why the content is left out (minified or bundled), or null. */
export function excludedContent(content: string): string | null {
  const lines = content.split('\n');
  if (lines.length < 3) return 'too short';
  const longest = lines.reduce((max, line) => Math.max(max, line.length), 0);
  if (longest > 1000 || content.length / lines.length > 200) return 'minified';
  if (content.includes('__webpack_require__') || content.includes('/******/')) return 'bundled';
  // esbuild and rollup mark each inlined module with a `// path/to/module.js` line.
  const moduleMarkers = content.match(
    /^\/\/ (?:\.\.\/|node_modules\/|src\/)[^\s]+\.[cm]?[jt]sx?$/gm,
  );
  if (moduleMarkers && moduleMarkers.length >= 3) return 'bundled';
  return null;
}

export function sourceGrammar(relativePath: string): GrammarName | null {
  return excludedPath(relativePath) === null ? grammarForPath(relativePath) : null;
}
