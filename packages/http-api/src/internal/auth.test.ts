import { describe, expect, it } from 'vitest';
import { createKeyVerifier, presentedKey } from './auth.ts';

describe('createKeyVerifier', () => {
  const verify = createKeyVerifier([
    { id: 'one', key: 'first-secret' },
    { id: 'two', key: 'second-secret' },
  ]);

  it('finds the key id of a matching secret', () => {
    expect(verify('first-secret')).toBe('one');
    expect(verify('second-secret')).toBe('two');
  });

  it('rejects near misses, prefixes and empty strings', () => {
    expect(verify('first-secre')).toBeUndefined();
    expect(verify('first-secret ')).toBeUndefined();
    expect(verify('FIRST-SECRET')).toBeUndefined();
    expect(verify('')).toBeUndefined();
  });
});

describe('presentedKey', () => {
  it('reads Bearer tokens case-insensitively and X-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer abc', apiKey: undefined })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer   abc  ', apiKey: undefined })).toBe('abc');
    expect(presentedKey({ authorization: undefined, apiKey: ' xyz ' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Bearer abc', apiKey: 'xyz' })).toBe('abc');
  });

  it('ignores other schemes and empty values', () => {
    expect(presentedKey({ authorization: 'Basic abc', apiKey: undefined })).toBeUndefined();
    expect(presentedKey({ authorization: 'Bearer ', apiKey: '' })).toBeUndefined();
    expect(presentedKey({ authorization: 'Basic abc', apiKey: 'k' })).toBe('k');
  });
});
