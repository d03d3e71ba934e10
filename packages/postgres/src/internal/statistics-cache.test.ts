import { describe, expect, it } from 'vitest';
import { StatisticsCache } from './statistics-cache.ts';

describe('StatisticsCache', () => {
  it('keeps counts until a chunk is added or five minutes pass', () => {
    const cache = new StatisticsCache();
    cache.refresh(10, 0);
    cache.set('f:user', 3);
    cache.refresh(10, 60_000);
    expect(cache.get('f:user')).toBe(3);
    cache.refresh(11, 60_000);
    expect(cache.get('f:user')).toBeUndefined();
    cache.set('f:user', 4);
    cache.refresh(11, 60_000 + 5 * 60 * 1000);
    expect(cache.get('f:user')).toBeUndefined();
  });
});
