import { describe, expect, it } from 'vitest';
import { looseLevelWords } from './query-levels.ts';

const statistics = (documents: number, frequencies: Record<string, number>) => ({
  documents,
  documentFrequency: (part: string) => frequencies[part] ?? 0,
});
const kept = (keep: (part: string) => boolean, parts: string[]) => parts.filter(keep);

describe('looseLevelWords', () => {
  const parts = ['gson', 'builder', 'options', 'instance', 'missing'];

  it('keeps every word found in a scope no larger than a level scores', () => {
    const small = statistics(1500, { gson: 1500, builder: 40, options: 300, instance: 900 });
    expect(kept(looseLevelWords(parts, small), parts)).toEqual([
      'gson',
      'builder',
      'options',
      'instance',
    ]);
  });

  it('keeps the rarest words whose matches fit when the scope is larger', () => {
    const large = statistics(9000, { gson: 9000, builder: 40, options: 300, instance: 1700 });
    expect(kept(looseLevelWords(parts, large), parts)).toEqual(['builder', 'options']);
  });

  it('always keeps the rarest word, and never a common one', () => {
    const huge = statistics(900_000, { gson: 60_000, builder: 4000, options: 9000 });
    expect(kept(looseLevelWords(parts, huge), parts)).toEqual(['builder']);
  });
});
