import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '@nellie/storage';
import { createFakeEmbedder } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddingPump, createIndexer, scanDirectory } from '../src/index.ts';
import { makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

const here = dirname(fileURLToPath(import.meta.url));
const model = { modelId: 'fake-hash-16', dimensions: 16 };
let workspace: string;
let root: string;
let database: string;

beforeEach(async () => {
  workspace = await makeTempDir();
  root = join(workspace, 'repo');
  database = join(workspace, 'nellie.db');
});

afterEach(async () => {
  await removeDir(workspace);
});

/** Files of many languages, `count` of them, small like most source files. */
function generatedTree(count: number, salt = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (let index = 0; index < count; index += 1) {
    const directory = `pkg${index % 40}/module${index % 7}`;
    switch (index % 4) {
      case 0:
        files[`${directory}/file${index}.ts`] =
          `export function compute${index}(value: number): number {\n  return value * ${index}${salt};\n}\n`;
        break;
      case 1:
        files[`${directory}/file${index}.py`] =
          `def handler_${index}(event):\n    """Handles event ${index}."""\n    return event + ${index}\n`;
        break;
      case 2:
        files[`${directory}/file${index}.go`] =
          `package module\n\nfunc Value${index}() int {\n\treturn ${index}\n}\n`;
        break;
      default:
        files[`${directory}/notes${index}.md`] = `# Note ${index}\n\nToken marker${index}x.\n`;
    }
  }
  return files;
}

/** The index holds exactly the files on disk, each with the hash of its current bytes. */
async function expectIndexMatchesDisk(
  store: Awaited<ReturnType<typeof createSqliteStore>>,
): Promise<void> {
  const repository = (await store.getRepository(root))!;
  const indexed = await store.listFiles(repository.id);
  const disk = await scanDirectory(root, { sniffContent: false });
  expect(indexed.map((file) => file.path).sort()).toEqual(disk.files.map((file) => file.path));
  for (const file of indexed) {
    const bytes = await readFile(join(root, file.path));
    expect(file.contentHash, file.path).toBe(createHash('sha256').update(bytes).digest('hex'));
  }
}

describe('indexing into the SQLite store', () => {
  it('makes files searchable by keyword at once and by vector after embedding', async () => {
    await writeTree(root, {
      'src/billing.ts':
        'export class InvoiceCalculator {\n  totalWithTax(amount: number): number {\n    return amount * 1.2;\n  }\n}\n',
      'docs/guide.md': '# Guide\n\nHow invoices are calculated.\n',
    });
    await using store = await createSqliteStore({ path: database, embedding: model });
    const embedder = createFakeEmbedder({ dimensions: 16 });
    await using embeddingPump = createEmbeddingPump({ store, embedder });
    await using indexer = createIndexer({ store, embeddingPump });
    await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    const lexical = await store.searchCode({ query: 'totalWithTax' });
    // The small class fits one chunk, named after the class.
    expect(lexical[0]).toMatchObject({
      path: 'src/billing.ts',
      symbolName: 'InvoiceCalculator',
      symbolKind: 'class',
      startLine: 1,
      endLine: 5,
      language: 'typescript',
    });
    await indexer.waitForEmbeddings();
    expect((await store.stats()).chunksPendingEmbedding).toBe(0);
    const [queryVector] = await embedder.embed(['invoice calculator total with tax'], {
      priority: 'query',
    });
    const semantic = await store.searchCode({ query: '', queryVector: queryVector! });
    expect(semantic.length).toBeGreaterThan(0);
    expect(semantic[0]!.scores.vector).toBeDefined();
  });

  it('indexes a 10,000-file tree and re-indexes it by stat alone', async () => {
    await writeTree(root, generatedTree(10_000));
    await using store = await createSqliteStore({ path: database });
    await using indexer = createIndexer({ store });
    const first = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(first).toMatchObject({ state: 'succeeded' });
    expect(first.progress).toMatchObject({
      filesSeen: 10_000,
      filesIndexed: 10_000,
      filesFailed: 0,
    });
    expect((await store.stats()).files).toBe(10_000);
    expect((await store.searchCode({ query: 'marker9999x' }))[0]!.path).toBe(
      'pkg39/module3/notes9999.md',
    );

    const second = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(second.progress).toMatchObject({
      filesUnchanged: 10_000,
      filesIndexed: 0,
      chunksWritten: 0,
    });

    for (let index = 0; index < 100; index += 1) {
      const path = `pkg${index % 40}/module${index % 7}/`;
      if (index % 4 === 3) await rm(join(root, path, `notes${index}.md`));
      if (index % 4 === 1)
        await rename(join(root, path, `file${index}.py`), join(root, path, `moved${index}.py`));
      if (index % 4 === 0)
        await writeFile(
          join(root, path, `file${index}.ts`),
          `export const changed${index} = true;\n`,
        );
    }
    const third = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(third.progress).toMatchObject({
      filesIndexed: 50,
      filesDeleted: 50,
      filesUnchanged: 9_925,
    });
    expect((await store.searchCode({ query: 'changed96' }))[0]!.path).toBe(
      'pkg16/module5/file96.ts',
    );
    await expectIndexMatchesDisk(store);
  }, 180_000);

  it('writes files in path order, so two indexings of a tree give the same chunk ids', async () => {
    // The first file in path order is the slowest to chunk: written as soon as chunked, it
    // would land after the small files read beside it.
    const big = Array.from(
      { length: 1_500 },
      (_, index) =>
        `export function step${index}(value: number): number {\n  return value + ${index};\n}\n`,
    ).join('\n');
    const tree: Record<string, string> = { 'a/big.ts': big };
    for (let index = 0; index < 12; index += 1) {
      tree[`b/small${String(index).padStart(2, '0')}.ts`] =
        `export const small${index} = ${index};\n`;
    }
    await writeTree(root, tree);
    const chunkOrder = async (path: string): Promise<string[]> => {
      await using store = await createSqliteStore({ path });
      await using indexer = createIndexer({ store, fileConcurrency: 8 });
      await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
      const chunks: string[] = [];
      for (let id = 1; ; id += 1) {
        const chunk = await store.getChunk(id);
        if (!chunk) break;
        chunks.push(`${chunk.id} ${chunk.path}:${chunk.startLine}-${chunk.endLine}`);
      }
      return chunks;
    };
    const first = await chunkOrder(database);
    expect(first.length).toBeGreaterThan(13);
    const paths = first.map((entry) => entry.split(' ')[1]!.split(':')[0]!);
    expect(paths).toEqual([...paths].sort());
    expect(await chunkOrder(join(workspace, 'again.db'))).toEqual(first);
  });

  it('recovers from a process killed in the middle of a job', async () => {
    await writeTree(root, generatedTree(1_500));
    // Create the schema before the child starts, so the kill cannot land in a migration.
    await (await createSqliteStore({ path: database })).close();
    const child = spawn(
      process.execPath,
      [
        '--conditions=@nellie/source',
        '--import',
        'tsx',
        join(here, 'support', 'index-child.ts'),
        root,
        database,
      ],
      { cwd: dirname(here), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let errors = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    child.stderr.on('data', (data: Buffer) => (errors += data.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new Error(`the child exited early: ${errors}`);
        const counts = [...output.matchAll(/progress (\d+)/g)].map((match) => Number(match[1]));
        return counts.some((count) => count >= 200);
      },
      'the child to index some files',
      60_000,
    );
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(output).not.toContain('done');

    // While it was down: files added, changed and deleted.
    await writeTree(root, { 'added/new-file.ts': 'export const addedWhileDown = 1;\n' });
    await writeFile(join(root, 'pkg0/module0/file0.ts'), 'export const changedWhileDown = 1;\n');
    await rm(join(root, 'pkg3/module3/notes3.md'));

    await using store = await createSqliteStore({ path: database });
    expect((await store.integrityCheck()).ok).toBe(true);
    const before = await store.listFiles((await store.getRepository(root))!.id);
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(1_500);
    await using indexer = createIndexer({ store });
    const diff = await indexer.diff(root);
    expect(diff.added).toContain('added/new-file.ts');
    const job = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(job.state).toBe('succeeded');
    await expectIndexMatchesDisk(store);
    expect((await store.searchCode({ query: 'addedWhileDown' }))[0]!.path).toBe(
      'added/new-file.ts',
    );
    expect((await store.searchCode({ query: 'changedWhileDown' }))[0]!.path).toBe(
      'pkg0/module0/file0.ts',
    );
  }, 120_000);

  it('makes a watched change searchable', async () => {
    await writeTree(root, { 'a.ts': 'export const first = 1;\n' });
    await using store = await createSqliteStore({ path: database });
    await using indexer = createIndexer({ store, debounceMs: 50 });
    await indexer.watch(root);
    await waitFor(
      async () => (await store.searchCode({ query: 'first' })).length === 1,
      'the first index',
    );
    await writeFile(join(root, 'a.ts'), 'export const secondVersion = 2;\n');
    await waitFor(
      async () => (await store.searchCode({ query: 'secondVersion' })).length === 1,
      'the change to be searchable',
    );
    expect(await store.searchCode({ query: 'first' })).toHaveLength(0);
  });
});
