import { describe, expect, it } from 'vitest';
import { createStaticEmbedder, distillStaticModel } from '../src/index.ts';
import { genuineModelDir, withTempDir } from './helpers.ts';

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let index = 0; index < a.length; index += 1) dot += a[index]! * b[index]!;
  return dot;
}

describe('a static model distilled from the genuine all-MiniLM-L6-v2', () => {
  it('puts related texts closer than unrelated ones', async () => {
    await withTempDir(async (dir) => {
      // The first 8,000 vocabulary ids cover the common words below and keep the test short.
      await distillStaticModel({
        teacherDir: genuineModelDir(),
        outDir: dir,
        teacherDtype: 'q8',
        tokenLimit: 8000,
        dimensions: 128,
      });
      const embedder = await createStaticEmbedder({ modelDir: dir });
      const [food, bread, baby, readFile, fileCode, sumCode] = await embedder.embed([
        'A man is eating food.',
        'A man is eating a piece of bread.',
        'The girl is carrying a baby.',
        'read the contents of a file',
        'const text = fs.readFileSync(path); // read file contents',
        'const total = numbers.reduce((sum, value) => sum + value, 0);',
      ]);
      expect(cosine(food!, bread!)).toBeGreaterThan(cosine(food!, baby!) + 0.1);
      expect(cosine(readFile!, fileCode!)).toBeGreaterThan(cosine(readFile!, sumCode!));
      await embedder.close();
    });
  }, 600_000);
});
