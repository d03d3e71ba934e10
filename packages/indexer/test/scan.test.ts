import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanDirectory } from '../src/index.ts';
import { git, gitInit, makeTempDir, removeDir, writeTree } from './support/fixtures.ts';

let root: string;

beforeEach(async () => {
  root = await makeTempDir();
});

afterEach(async () => {
  await removeDir(root);
});

async function scannedPaths(options: Parameters<typeof scanDirectory>[1] = {}): Promise<string[]> {
  const result = await scanDirectory(root, options);
  return result.files.map((file) => file.path);
}

describe('scanDirectory: gitignore semantics', () => {
  it('matches what git itself considers untracked and not ignored', async () => {
    await writeTree(root, {
      '.gitignore': [
        '*.log',
        '!keep.log',
        'cache/',
        '/build',
        'doc/*.txt',
        '**/temp/**',
        'a/**/b.txt',
        '*.py[co]',
        '\\#literal',
        'vendor/',
        '!vendor/keep.js',
        '*.secret',
        'trailing.txt   ',
        'generated/',
        '*.tmp',
      ].join('\n'),
      'generated/a.ts': 'x',
      'lib/.gitignore': '!generated/\n',
      'lib/generated/kept.ts': 'a deeper file re-includes a directory the root excludes',
      'lib/generated/dropped.tmp': 'other root patterns still apply inside it',
      'app.log': 'x',
      'keep.log': 'x',
      'sub/keep.log': 'x',
      'sub/other.log': 'x',
      'cache/data.json': '{}',
      'src/cache': 'a file named cache is not a directory',
      'build/out.js': 'x',
      'src/build/generated.js': 'only the root build is anchored',
      'doc/readme.txt': 'x',
      'doc/deep/readme.txt': 'doc/*.txt matches direct children only',
      'x/temp/y/z.js': 'x',
      'a/b.txt': 'x',
      'a/m/n/b.txt': 'x',
      'a/c.txt': 'x',
      'mod.pyc': 'x',
      'mod.py': 'print(1)',
      '#literal': 'x',
      'vendor/keep.js': 'a parent directory excluded cannot be re-included',
      'top.secret': 'x',
      'sub/.gitignore': ['local.txt', '/only-here.txt', '!visible.secret'].join('\n'),
      'sub/local.txt': 'x',
      'sub/deeper/local.txt': 'x',
      'sub/only-here.txt': 'x',
      'sub/deeper/only-here.txt': 'anchored patterns bind to their own directory',
      'sub/visible.secret': 'a deeper negation overrides the parent',
      'sub/deeper/visible.secret': 'x',
      'local.txt': 'patterns of sub/.gitignore do not apply above it',
      'trailing.txt': 'trailing spaces are ignored in patterns',
    });
    gitInit(root);
    await writeFile(join(root, '.git', 'info', 'exclude'), 'scratch.txt\n');
    await writeTree(root, { 'scratch.txt': 'x', 'sub/scratch.txt': 'x' });

    const expected = git(root, 'ls-files', '--others', '--exclude-standard')
      .split('\n')
      .filter(Boolean)
      .sort();
    const paths = await scannedPaths({ defaultExcludes: false, sniffContent: false });
    expect(paths).toEqual(expected);
    // Spot checks of what the oracle says, so a broken git cannot make this test vacuous.
    expect(paths).toContain('keep.log');
    expect(paths).toContain('sub/keep.log');
    expect(paths).toContain('src/cache');
    expect(paths).toContain('src/build/generated.js');
    expect(paths).toContain('sub/visible.secret');
    expect(paths).toContain('sub/deeper/only-here.txt');
    expect(paths).toContain('local.txt');
    expect(paths).toContain('lib/generated/kept.ts');
    expect(paths).not.toContain('lib/generated/dropped.tmp');
    expect(paths).not.toContain('vendor/keep.js');
    expect(paths).not.toContain('scratch.txt');
    expect(paths).not.toContain('sub/scratch.txt');
    expect(paths).not.toContain('sub/deeper/local.txt');
  });

  it('applies .ignore files, which override .gitignore in the same directory', async () => {
    await writeTree(root, {
      '.gitignore': 'notes.md\n',
      '.ignore': '!notes.md\ngenerated-docs/\n',
      'notes.md': '# notes',
      'generated-docs/index.html': '<html></html>',
      'pkg/.ignore': '*.snap\n',
      'pkg/a.snap': 'x',
      'a.snap': 'x',
      'pkg/index.ts': 'export {};',
    });
    const paths = await scannedPaths();
    expect(paths).toContain('notes.md');
    expect(paths).toContain('a.snap');
    expect(paths).toContain('pkg/index.ts');
    expect(paths).not.toContain('pkg/a.snap');
    expect(paths.some((path) => path.startsWith('generated-docs/'))).toBe(false);
  });

  it('reads info/exclude from the git directory of a worktree', async () => {
    const gitDir = join(root, 'elsewhere.git');
    await mkdir(join(gitDir, 'info'), { recursive: true });
    await writeTree(root, {
      'work/.git': `gitdir: ${gitDir}\n`,
      'work/a.ts': 'x',
      'work/local-only.ts': 'x',
    });
    await writeFile(join(gitDir, 'info', 'exclude'), 'local-only.ts\n');
    const result = await scanDirectory(join(root, 'work'));
    expect(result.files.map((file) => file.path)).toEqual(['a.ts']);
  });
});

describe('scanDirectory: built-in excludes', () => {
  it('skips dependencies, build outputs, caches, lock files and minified files', async () => {
    await writeTree(root, {
      'src/index.ts': 'export {};',
      'node_modules/left-pad/index.js': 'x',
      'packages/a/node_modules/b/index.js': 'x',
      'dist/index.js': 'x',
      'build/index.js': 'x',
      'target/debug/main': 'x',
      'out/x.js': 'x',
      '.next/x.js': 'x',
      'coverage/lcov.info': 'x',
      'app/__pycache__/m.cpython-311.pyc': 'x',
      'venv/lib/site.py': 'x',
      '.venv/lib/site.py': 'x',
      'package-lock.json': '{}',
      'pnpm-lock.yaml': 'x',
      'Cargo.lock': 'x',
      'go.sum': 'x',
      'public/app.min.js': 'x',
      'public/app.js.map': '{}',
      '.git/config': 'x',
    });
    expect(await scannedPaths()).toEqual(['src/index.ts']);
  });

  it('lets a negation in .gitignore re-include a default exclude', async () => {
    await writeTree(root, { '.gitignore': '!build/\n', 'build/keep.ts': 'x', 'dist/drop.ts': 'x' });
    expect(await scannedPaths()).toEqual(['.gitignore', 'build/keep.ts']);
  });

  it('can turn the built-in excludes off', async () => {
    await writeTree(root, { 'node_modules/a.js': 'x', 'a.ts': 'x' });
    expect(await scannedPaths({ defaultExcludes: false })).toEqual(['a.ts', 'node_modules/a.js']);
  });

  it('counts what each built-in pattern passed over, a directory once', async () => {
    await writeTree(root, {
      'src/index.ts': 'export {};',
      'node_modules/a/index.js': 'x',
      'node_modules/b/index.js': 'x',
      'packages/p/node_modules/c/index.js': 'x',
      'dist/index.js': 'x',
      'yarn.lock': 'x',
      'deps.lock': 'x',
      'ignored-by-git.log': 'x',
      '.gitignore': '*.log\n',
    });
    const result = await scanDirectory(root);
    expect(result.files.map((file) => file.path)).toEqual(['.gitignore', 'src/index.ts']);
    expect(result.excluded).toEqual({
      'node_modules/': 2,
      '/dist/': 1,
      // The last matching pattern is named, as git does.
      '*.lock': 2,
    });
    // The .gitignore'd log is ignored, but not by a built-in pattern.
    expect(result.ignored).toBe(6);
  });

  it('excludes build-output directories only at the top, so nested ones holding sources stay', async () => {
    await writeTree(root, {
      'build/bundle.js': 'x',
      'out/x.js': 'x',
      'target/debug/main.rs': 'x',
      'dist/index.js': 'x',
      'test/build/build.test.js': 'hand-written test',
      'src/MSBuild/build/Tasks.props': '<Project />',
      'crates/a/target/x.rs': 'x',
      'packages/a/dist/index.js': 'gitignored below',
      'packages/a/.gitignore': 'dist/\n',
    });
    expect(await scannedPaths()).toEqual([
      'crates/a/target/x.rs',
      'packages/a/.gitignore',
      'src/MSBuild/build/Tasks.props',
      'test/build/build.test.js',
    ]);
  });

  it('takes a list that replaces the built-in excludes', async () => {
    await writeTree(root, {
      'node_modules/a.js': 'x',
      'generated/b.ts': 'x',
      'yarn.lock': 'x',
      'a.ts': 'x',
    });
    const result = await scanDirectory(root, { defaultExcludes: ['generated/'] });
    expect(result.files.map((file) => file.path)).toEqual([
      'a.ts',
      'node_modules/a.js',
      'yarn.lock',
    ]);
    expect(result.excluded).toEqual({ 'generated/': 1 });
  });
});

describe('scanDirectory: configuration and content', () => {
  it('applies include and exclude globs', async () => {
    await writeTree(root, {
      'src/a.ts': 'x',
      'src/a.test.ts': 'x',
      'src/deep/b.ts': 'x',
      'scripts/c.ts': 'x',
      'docs/d.md': 'x',
    });
    expect(await scannedPaths({ include: ['src/**'], exclude: ['**/*.test.ts'] })).toEqual([
      'src/a.ts',
      'src/deep/b.ts',
    ]);
    expect(await scannedPaths({ exclude: ['scripts/**', 'docs'] })).toEqual([
      'src/a.test.ts',
      'src/a.ts',
      'src/deep/b.ts',
    ]);
  });

  it('skips files above the size cap and binary content, but keeps legacy-encoded text', async () => {
    await writeTree(root, {
      'big.ts': 'x'.repeat(2000),
      'small.ts': 'const a = 1;',
      'image.png': 'not even read',
      'blob.dat2': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]),
      'noise.txt': new Uint8Array(Array.from({ length: 512 }, (_, index) => 128 + (index % 64))),
      'latin1.txt': new Uint8Array([...Buffer.from('caf'), 0xe9, ...Buffer.from(' au lait\n')]),
    });
    const result = await scanDirectory(root, { maxFileBytes: 1000 });
    expect(result.files.map((file) => file.path)).toEqual(['latin1.txt', 'small.ts']);
    const reasons = Object.fromEntries(result.skipped.map((entry) => [entry.path, entry.reason]));
    expect(reasons).toEqual({
      'big.ts': 'too-large',
      'image.png': 'binary',
      'blob.dat2': 'binary',
      'noise.txt': 'binary',
    });
    expect(result.files.find((file) => file.path === 'small.ts')).toMatchObject({
      size: 12,
      language: 'typescript',
      root,
      absolutePath: join(root, 'small.ts'),
    });
  });

  it('does not follow symbolic links unless asked, and survives link loops', async () => {
    await writeTree(root, { 'real/a.ts': 'x' });
    await symlink(join(root, 'real'), join(root, 'linked'));
    await symlink(root, join(root, 'real', 'loop'));
    await symlink(join(root, 'missing'), join(root, 'dangling.ts'));
    const plain = await scanDirectory(root);
    expect(plain.files.map((file) => file.path)).toEqual(['real/a.ts']);
    expect(plain.skipped.map((entry) => entry.reason).sort()).toEqual([
      'symlink',
      'symlink',
      'symlink',
    ]);

    const followed = await scanDirectory(root, { followSymlinks: true });
    expect(followed.files.map((file) => file.path)).toEqual(['linked/a.ts', 'real/a.ts']);
    const reasons = followed.skipped.map((entry) => `${entry.path}:${entry.reason}`).sort();
    expect(reasons).toEqual([
      'dangling.ts:vanished',
      'linked/loop:symlink-loop',
      'real/loop:symlink-loop',
    ]);
  });

  it('scans several roots at once', async () => {
    const other = await makeTempDir();
    try {
      await writeTree(root, { 'a.ts': 'x' });
      await writeTree(other, { 'b.py': 'x' });
      const result = await scanDirectory([root, other]);
      expect(result.roots).toEqual([root, other]);
      expect(result.files.map((file) => [file.root, file.path])).toEqual(
        [
          [root, 'a.ts'],
          [other, 'b.py'],
        ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
      );
    } finally {
      await removeDir(other);
    }
  });

  it('rejects a root that is missing or not a directory, and bad options', async () => {
    await expect(scanDirectory(join(root, 'nope'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await writeTree(root, { 'file.ts': 'x' });
    await expect(scanDirectory(join(root, 'file.ts'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(scanDirectory(root, { maxFileBytes: -1 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });
});
