import { describe, expect, it } from 'vitest';
import { isSupersededModel } from './store.ts';

const upgraded = {
  modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
  dimensions: 384,
  family: 'Xenova/all-MiniLM-L6-v2@q8',
};

describe('isSupersededModel', () => {
  it('replaces vectors of the same weights read with other input settings', () => {
    expect(
      isSupersededModel({ modelId: 'Xenova/all-MiniLM-L6-v2@q8', dimensions: 384 }, upgraded),
    ).toBe(true);
    expect(
      isSupersededModel({ modelId: 'Xenova/all-MiniLM-L6-v2@q8+cls', dimensions: 384 }, upgraded),
    ).toBe(true);
  });

  it('keeps its own vectors, and refuses to replace another model, other weights or another width', () => {
    expect(isSupersededModel({ modelId: upgraded.modelId, dimensions: 384 }, upgraded)).toBe(false);
    for (const stored of [
      { modelId: 'Xenova/all-MiniLM-L6-v2@fp32', dimensions: 384 },
      { modelId: 'Xenova/all-MiniLM-L6-v2@q8x', dimensions: 384 },
      { modelId: 'other/model@q8', dimensions: 384 },
      { modelId: 'Xenova/all-MiniLM-L6-v2@q8', dimensions: 256 },
    ]) {
      expect(isSupersededModel(stored, upgraded)).toBe(false);
    }
  });

  it('replaces nothing for a model without a family (static tables, endpoints)', () => {
    expect(
      isSupersededModel(
        { modelId: 'text-embedding-3-small@1536', dimensions: 1536 },
        { modelId: 'text-embedding-3-small@1536+x', dimensions: 1536 },
      ),
    ).toBe(false);
  });
});
