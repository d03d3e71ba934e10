import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalEmbedder } from '@nellie/embeddings';
import { createSqliteStore } from '@nellie/storage';
import { createIndexer } from '../src/index.ts';

const embedder = await createLocalEmbedder({ modelDir: '/work/shared/models/stand-in/all-MiniLM-L6-v2-random-weights', dtype: 'q8' });
const dir = await mkdtemp(join(tmpdir(), 'pump-'));
const store = await createSqliteStore({ path: join(dir, 'db'), embedding: { modelId: embedder.modelId, dimensions: embedder.dimensions } });
const plain = createIndexer({ store });
await plain.waitForJob((await plain.startJob({ rootPath: '/tmp/nellie-indexer-bench-corpus/node_modules/axios/lib' })).id);
await plain.close();
const texts = (await store.pendingEmbeddings(10_000)).map((item) => item.text);
await embedder.embed(texts.slice(0, 16));
for (let round = 0; round < 2; round += 1) {
  let t = performance.now();
  await embedder.embed(texts);
  const raw = texts.length / ((performance.now() - t) / 1000);
  const fresh = await createSqliteStore({ path: join(dir, `db${round}`), embedding: { modelId: embedder.modelId, dimensions: embedder.dimensions } });
  const p = createIndexer({ store: fresh });
  await p.waitForJob((await p.startJob({ rootPath: '/tmp/nellie-indexer-bench-corpus/node_modules/axios/lib' })).id);
  await p.close();
  const pump = createIndexer({ store: fresh, embedder });
  t = performance.now();
  await pump.waitForEmbeddings();
  const pumped = texts.length / ((performance.now() - t) / 1000);
  await pump.close();
  await fresh.close();
  console.log(`raw ${raw.toFixed(1)} pump-only ${pumped.toFixed(1)} ratio ${(pumped / raw).toFixed(2)} load ${loadavg()[0]!.toFixed(2)}`);
}
await store.close(); await embedder.close(); await rm(dir, { recursive: true, force: true });
