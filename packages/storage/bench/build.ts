/**
 * Builds a benchmark store of N chunks in a directory: inserts files (20 chunks each) with their
 * vectors and full-text entries, builds the HNSW index, and computes exact ground truth.
 * Usage: build.ts <chunks> <directory>. Prints one JSON line.
 */
import { createHash } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import usearch from 'usearch';
import { createSqliteStore } from '../src/index.ts';
import {
  chunksPerFile,
  clusterCentres,
  CodeTextGenerator,
  cpuSampler,
  dimensions,
  fileLanguage,
  repositoryCount,
  vectorAt,
} from './data.ts';

const size = Number(process.argv[2]);
const directory = process.argv[3]!;
const path = join(directory, 'bench.db');
const embedding = { modelId: 'bench-synthetic-384', dimensions };
export const queryCount = 200;
export const filteredRepository = 3;

const centres = clusterCentres();
const text = new CodeTextGenerator(42);
const all = new Float32Array(size * dimensions);
const cpu = cpuSampler();

// 1. Insert, with the ANN index off so the figure is SQLite alone (rows, FTS, vectors).
let store = await createSqliteStore({
  path,
  embedding,
  vectorIndex: { exactThreshold: 10_000_000 },
});
const files = Math.ceil(size / chunksPerFile);
const filesPerRepository = Math.ceil(files / repositoryCount);
let generateMs = 0;
const insertStarted = performance.now();
let chunkIndex = 0;
// Vectors are written in batches, as an embedding pump does.
let batch: { contentHash: string; vector: Float32Array }[] = [];
for (let repository = 0; repository < repositoryCount && chunkIndex < size; repository += 1) {
  const repo = await store.upsertRepository({
    rootPath: `/bench/repo-${repository}`,
    name: `repo-${repository}`,
  });
  for (let file = 0; file < filesPerRepository && chunkIndex < size; file += 1) {
    const generated = performance.now();
    const chunks = [];
    for (let position = 0; position < chunksPerFile && chunkIndex < size; position += 1) {
      const { symbolName, content } = text.chunk(chunkIndex);
      const vector = vectorAt(centres, chunkIndex);
      all.set(vector, chunkIndex * dimensions);
      chunks.push({
        startLine: position * 20 + 1,
        endLine: position * 20 + 18,
        content,
        symbolName,
        symbolKind: 'function',
      });
      batch.push({ contentHash: createHash('sha256').update(content).digest('hex'), vector });
      chunkIndex += 1;
    }
    generateMs += performance.now() - generated;
    const { language, extension } = fileLanguage(file);
    await store.writeFile(
      repo.id,
      {
        path: `src/module-${file % 50}/file-${file}.${extension}`,
        language,
        size: 1000,
        mtimeMs: 1,
        contentHash: `f${repository}-${file}`,
      },
      chunks,
    );
    if (batch.length >= 500) {
      await store.putEmbeddings(batch);
      batch = [];
    }
  }
}
await store.putEmbeddings(batch);
const insertSeconds = (performance.now() - insertStarted - generateMs) / 1000;
const sample = await store.getChunk(size);
if (!sample?.content.endsWith(`// c${size - 1}\n}`))
  throw new Error('chunk ids do not follow insertion order');
const stats = await store.stats();
await store.close();

// 2. Build the HNSW index from SQLite on both cores, and save it next to the database.
const annStarted = performance.now();
store = await createSqliteStore({ path, embedding, vectorIndex: { threads: 0 } });
const status = await store.syncVectorIndex();
const annBuildSeconds = (performance.now() - annStarted) / 1000;
const saveStarted = performance.now();
await store.close();
const annSaveSeconds = (performance.now() - saveStarted) / 1000;

// 3. Exact ground truth (chunk ids) for the query vectors, overall and within one repository.
const truthStarted = performance.now();
const queries = new Float32Array(queryCount * dimensions);
for (let query = 0; query < queryCount; query += 1)
  queries.set(vectorAt(centres, query, 11), query * dimensions);
const exact = usearch.exactSearch(all, queries, dimensions, 10, 'cos' as never, 0) as unknown as {
  keys: BigUint64Array;
};
const truth = Array.from({ length: queryCount }, (_, query) =>
  Array.from(exact.keys.subarray(query * 10, query * 10 + 10), (key) => Number(key) + 1),
);
const perRepository = filesPerRepository * chunksPerFile;
const first = filteredRepository * perRepository;
// A copy: usearch reads typed arrays from the start of their buffer.
const subset = all.slice(first * dimensions, Math.min(size, first + perRepository) * dimensions);
const filtered = usearch.exactSearch(
  subset,
  queries,
  dimensions,
  10,
  'cos' as never,
  0,
) as unknown as {
  keys: BigUint64Array;
};
const filteredTruth = Array.from({ length: queryCount }, (_, query) =>
  Array.from(filtered.keys.subarray(query * 10, query * 10 + 10), (key) => Number(key) + first + 1),
);
writeFileSync(join(directory, 'truth.json'), JSON.stringify({ truth, filteredTruth }));

const load = cpu();
process.stdout.write(
  `${JSON.stringify({
    size,
    insertSeconds,
    chunksPerSecond: size / insertSeconds,
    annBuildSeconds,
    annSaveSeconds,
    annIndexed: status.indexed,
    truthSeconds: (performance.now() - truthStarted) / 1000,
    databaseBytes: stats.databaseBytes,
    fileBytes: statSync(path).size,
    otherCores: load.otherCores,
  })}\n`,
);
