import { describe, expect, it } from 'vitest';
import { NellieError, throwIfAborted } from './errors.ts';

describe('NellieError', () => {
  it('is recognised by its brand, not only by instanceof', () => {
    const error = new NellieError('NOT_FOUND', 'No lesson with id 42.');
    const lookalike = Object.assign(Object.create(null) as object, {
      [Symbol.for('nellie.error')]: true,
    });
    expect(NellieError.is(error)).toBe(true);
    expect(NellieError.is(lookalike)).toBe(true);
    expect(NellieError.is(new Error('plain'))).toBe(false);
    expect(NellieError.is(null)).toBe(false);
    expect(error.code).toBe('NOT_FOUND');
  });

  it('throwIfAborted throws ABORTED only for an aborted signal', () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    controller.abort();
    expect(() => throwIfAborted(controller.signal)).toThrow(
      expect.objectContaining({ code: 'ABORTED' }),
    );
  });
});
