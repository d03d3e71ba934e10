import { describe, expect, it } from 'vitest';
import { embedderContract } from './embedder-contract.ts';
import { createFakeEmbedder } from './fake-embedder.ts';

describe('createFakeEmbedder', () => {
  it('returns deterministic unit vectors of the configured width', async () => {
    const embedder = createFakeEmbedder({ dimensions: 8 });
    const [first, again] = await Promise.all([
      embedder.embed(['hello world']),
      embedder.embed(['hello world']),
    ]);
    expect(first[0]).toHaveLength(8);
    expect(Array.from(first[0]!)).toEqual(Array.from(again[0]!));
    const norm = Math.hypot(...first[0]!);
    expect(norm).toBeCloseTo(1, 5);
  });

  it('rejects empty texts with INVALID_INPUT', async () => {
    await expect(createFakeEmbedder().embed(['  '])).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});

embedderContract('fake hash embedder', { create: () => Promise.resolve(createFakeEmbedder()) });
