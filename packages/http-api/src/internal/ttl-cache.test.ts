import { describe, expect, it } from 'vitest';
import { createTtlCache } from './ttl-cache.ts';

function counter(): { load: () => Promise<number>; calls: () => number } {
  let calls = 0;
  return { load: () => Promise.resolve((calls += 1)), calls: () => calls };
}

describe('createTtlCache', () => {
  it('shares one load between concurrent callers and keeps its value for the ttl', async () => {
    const { load, calls } = counter();
    const cache = createTtlCache(load, 60_000);
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual([1, 1, 1]);
    expect(await cache.get()).toBe(1);
    expect(calls()).toBe(1);
  });

  it('loads again once the value is older than the ttl', async () => {
    const { load, calls } = counter();
    const cache = createTtlCache(load, 0);
    expect(await cache.get()).toBe(1);
    expect(await cache.get()).toBe(2);
    expect(calls()).toBe(2);
  });

  it('does not keep a failed load', async () => {
    let fail = true;
    const cache = createTtlCache(
      () => (fail ? Promise.reject(new Error('disk gone')) : Promise.resolve('ok')),
      60_000,
    );
    await expect(cache.get()).rejects.toThrow('disk gone');
    fail = false;
    expect(await cache.get()).toBe('ok');
  });
});
