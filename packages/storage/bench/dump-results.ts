/**
 * Writes the ranked results (chunk ids and scores) of every bench query of every search kind,
 * as JSON, so two versions of the search code can be checked to give the same answers.
 * Usage: dump-results.ts <store dir> <output.json> [--queries N] [--kinds hybrid,keyword]
 * The store is only read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSqliteStore } from '../src/index.ts';
import { dimensions } from './data.ts';
import { defaultQueryCount, querySet, searchKinds } from './query-set.ts';

const [directory, output] = process.argv.slice(2);
if (!directory || !output) {
  throw new Error('usage: dump-results.ts <store dir> <output.json> [--queries N] [--kinds a,b]');
}
const flag = (name: string): string | undefined => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const queryCount = Number(flag('--queries') ?? defaultQueryCount);
const kindsWanted = flag('--kinds')?.split(',');

const store = await createSqliteStore({
  path: join(directory, 'bench.db'),
  embedding: { modelId: 'bench-synthetic-384', dimensions },
});
await store.vectorIndexStatus();
const dump: Record<string, { id: number; score: number }[][]> = {};
for (const kind of searchKinds(querySet(queryCount), { keywordOnly: false })) {
  if (kindsWanted && !kindsWanted.includes(kind.label)) continue;
  const results = [];
  for (let query = 0; query < queryCount; query += 1) {
    const hits = await store.searchCode(kind.request(query));
    results.push(hits.map((hit) => ({ id: hit.chunkId, score: hit.score })));
  }
  dump[kind.label] = results;
}
await store.close();
writeFileSync(output, `${JSON.stringify(dump)}\n`);
