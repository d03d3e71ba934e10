import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/harness.ts';

let t: TestApp | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await t?.close();
  t = undefined;
});

const good = { id: 'good', key: 'good-secret-0123456789' };

describe('failed authentication limit', () => {
  it('answers 429 to an address that keeps sending wrong keys, and only to that address', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    let address = '10.0.0.66';
    t = createTestApp({
      apiKeys: [good],
      authFailureLimit: { failuresPerMinute: 6, burst: 3 },
      getClientAddress: () => address,
    });
    const as = (key: string) =>
      t!.call('GET', '/api/v1/agents', { headers: { authorization: `Bearer ${key}` } });

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1)
      statuses.push((await as(`guess-${attempt}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    const blocked = await as(good.key);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await blocked.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    address = '10.0.0.7';
    expect((await as(good.key)).status).toBe(200);
    expect((await as('a-wrong-guess')).status).toBe(401);
    expect((await t.call('GET', '/api/v1/agents')).status).toBe(401);

    // The bucket refills at 6 per minute: after 10 s the first address may try again.
    address = '10.0.0.66';
    vi.setSystemTime(Date.now() + 10_000);
    expect((await as(good.key)).status).toBe(200);
    const scrape = await t.call('GET', '/metrics', {
      headers: { authorization: `Bearer ${good.key}` },
    });
    // Three wrong keys from the first address (later ones were refused unchecked), one from the second.
    expect(await scrape.text()).toMatch(/^nellie_auth_failures_total 4$/m);
  });

  it('does not count requests without a key, and can be turned off', async () => {
    t = createTestApp({
      apiKeys: [good],
      authFailureLimit: { failuresPerMinute: 1, burst: 1 },
      getClientAddress: () => '10.0.0.1',
    });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await t.call('GET', '/api/v1/agents')).status).toBe(401);
    }
    await t.close();
    t = createTestApp({ apiKeys: [good], authFailureLimit: false, rateLimit: false });
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const response = await t.call('GET', '/api/v1/agents', { headers: { 'x-api-key': 'wrong' } });
      expect(response.status).toBe(401);
    }
  });
});
