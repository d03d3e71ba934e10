import js from '@eslint/js';
import { importX } from 'eslint-plugin-import-x';
import nodePlugin from 'eslint-plugin-n';
import unicorn from 'eslint-plugin-unicorn';
import tseslint from 'typescript-eslint';

// Packages whose internal/ modules are leaves: they import only each other, so a module of the
// package may import internal/ but never the other way round.
const packagesWithInternals = ['embeddings', 'http-api', 'indexer', 'mcp-tools', 'storage'];

/**
 * `@nellie/x`, `@nellie/x/package.json` and the store kit made for other store engines, never a
 * file inside another package.
 */
const publicEntryOnly = {
  regex: '^@nellie/(?!storage/store-kit$)[^/]+/(?!package\\.json$)',
  message: 'Import another package through its public entry (@nellie/x), not its files.',
};

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/coverage/**',
      '**/.turbo/**',
      // benchmark fixtures: source trees that are indexed, not built
      'apps/search-eval/test/fixtures/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX, n: nodePlugin, unicorn },
    // Cycles are a matter of our own modules; import-x need not parse installed packages (PGlite's
    // minified bundle overflows its parser's stack).
    settings: { 'import-x/ignore': ['node_modules'] },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'n/prefer-node-protocol': 'error',
      'unicorn/filename-case': ['error', { case: 'kebabCase' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['packages/**/src/**/*.ts'],
    ignores: ['packages/**/src/**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Packages meet only through their public entries.
    files: ['**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [publicEntryOnly] }] },
  },
  {
    // Library packages depend on @nellie/core and the shared request schemas (@nellie/schemas)
    // only; their tests may use sibling packages.
    files: ['packages/!(core|schemas)/src/**/*.ts'],
    ignores: ['packages/**/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            publicEntryOnly,
            {
              regex: '^@nellie/(?!(core|schemas)$)',
              message:
                'Library packages may import only @nellie/core and @nellie/schemas; receive other parts as arguments.',
            },
          ],
        },
      ],
    },
  },
  {
    // The schemas sit on core alone, so every package can share them.
    files: ['packages/schemas/src/**/*.ts'],
    ignores: ['packages/**/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            publicEntryOnly,
            {
              regex: '^@nellie/(?!core$)',
              message: '@nellie/schemas may import only @nellie/core.',
            },
          ],
        },
      ],
    },
  },
  {
    // The PostgreSQL store shares the SQLite store's token text, ranking and validation through
    // the one entry made for other store engines.
    files: ['packages/postgres/src/**/*.ts'],
    ignores: ['packages/**/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@nellie/(?!core$|schemas$|storage/store-kit$)',
              message:
                'The PostgreSQL store may import only @nellie/core, @nellie/schemas and @nellie/storage/store-kit.',
            },
          ],
        },
      ],
    },
  },
  {
    // A package's internal/ modules are its leaves: they import only each other, never the
    // modules built on them, so imports point one way.
    files: ['packages/*/src/internal/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: packagesWithInternals.map((name) => ({
            target: `./packages/${name}/src/internal`,
            from: `./packages/${name}/src`,
            except: ['./internal'],
            message: 'internal/ may import only internal/; move the shared piece into internal/.',
          })),
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
