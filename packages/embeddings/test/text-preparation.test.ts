import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalEmbedder, type LocalEmbedder } from '../src/index.ts';
import { genuineModelDir } from './helpers.ts';

// Functions named in camelCase or snake_case, in files whose paths say nothing, and the plain
// words someone searching for them would type.
const code = [
  'src/util.ts loadConfigFile\nexport function loadConfigFile(p) {\n  return JSON.parse(readFileSync(p, "utf8"));\n}',
  'src/util.ts getCachedValue\nexport function getCachedValue(k) {\n  return store.get(k);\n}',
  'src/util.ts parseHttpHeader\nexport function parseHttpHeader(s) {\n  const i = s.indexOf(":");\n  return [s.slice(0, i), s.slice(i + 1)];\n}',
  'src/util.ts isValidEmailAddress\nexport function isValidEmailAddress(s) {\n  return /^[^@]+@[^@]+$/.test(s);\n}',
  'src/util.ts debounceCallback\nexport function debounceCallback(f, ms) {\n  let t; return (...a) => { clearTimeout(t); t = setTimeout(() => f(...a), ms); };\n}',
];
const queries = [
  'load config file',
  'cached value',
  'parse http header',
  'valid email address',
  'debounce callback',
];

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let index = 0; index < a.length; index += 1) dot += a[index]! * b[index]!;
  return dot;
}

/** For each query, its similarity to the code it names, and the index of its best match. */
async function match(embedder: LocalEmbedder): Promise<{ similarity: number; best: number }[]> {
  const documents = await embedder.embed(code);
  const asked = await embedder.embed(queries, { priority: 'query' });
  return asked.map((query, index) => {
    const similarities = documents.map((document) => cosine(query, document));
    return {
      similarity: similarities[index]!,
      best: similarities.indexOf(Math.max(...similarities)),
    };
  });
}

describe('text preparation with the genuine all-MiniLM-L6-v2', () => {
  let configured: LocalEmbedder;
  let unprepared: LocalEmbedder;
  beforeAll(async () => {
    const modelDir = genuineModelDir();
    // The model's own configuration (its built-in manifest), through the real loading path.
    configured = await createLocalEmbedder({ modelDir, queryWorker: false });
    unprepared = await createLocalEmbedder({
      modelDir,
      textPreparation: 'none',
      queryWorker: false,
    });
  }, 120_000);
  afterAll(async () => {
    await configured?.close();
    await unprepared?.close();
  });

  it('splits identifiers into words for this model by default, and says so in its id', () => {
    expect(configured.textPreparation).toBe('split-identifiers');
    expect(configured.modelId).toBe('Xenova/all-MiniLM-L6-v2@q8+split-identifiers');
    expect(unprepared.textPreparation).toBe('none');
    expect(unprepared.modelId).toBe('Xenova/all-MiniLM-L6-v2@q8');
  });

  it('brings plain-words queries closer to the camelCase code they name', async () => {
    const before = await match(unprepared);
    const after = await match(configured);
    const gains = after.map((result, index) => result.similarity - before[index]!.similarity);
    for (const gain of gains) expect(gain).toBeGreaterThan(0);
    const meanGain = gains.reduce((sum, gain) => sum + gain, 0) / gains.length;
    expect(meanGain).toBeGreaterThan(0.08);
    expect(after.map((result) => result.best)).toEqual([0, 1, 2, 3, 4]);
  });
});
