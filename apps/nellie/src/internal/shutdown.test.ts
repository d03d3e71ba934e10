import { EventEmitter } from 'node:events';
import type { Logger } from '@nellie/core';
import { describe, expect, it, vi } from 'vitest';
import { handleShutdown } from './shutdown.ts';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (_fields: Record<string, unknown>, message: string): void => {
    lines.push(message);
  };
  return { lines, debug: log, info: log, warn: log, error: log };
}

function setup(onShutdown: () => Promise<void>, timeoutMs = 1000) {
  const target = new EventEmitter();
  const exits: number[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const handle = handleShutdown({
    logger: recordingLogger(),
    timeoutMs,
    onShutdown,
    target,
    exit: (code) => {
      exits.push(code);
      resolveExit(code);
    },
  });
  return { target, exits, exited, handle };
}

describe('handleShutdown', () => {
  it('runs the shutdown once and exits 0 when it completes', async () => {
    const onShutdown = vi.fn(() => Promise.resolve());
    const { target, exited, exits, handle } = setup(onShutdown);
    target.emit('SIGTERM', 'SIGTERM');
    expect(handle.started).toBe(true);
    expect(await exited).toBe(0);
    expect(onShutdown).toHaveBeenCalledTimes(1);
    expect(onShutdown).toHaveBeenCalledWith('SIGTERM');
    expect(exits).toEqual([0]);
    handle.dispose();
    expect(target.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits at once on a second signal', () => {
    let finish: () => void = () => {};
    const { target, exits, handle } = setup(
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    target.emit('SIGINT', 'SIGINT');
    target.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    finish();
    handle.dispose();
  });

  it('exits 1 when the shutdown fails or takes longer than the timeout', async () => {
    const failing = setup(() => Promise.reject(new Error('disk gone')));
    failing.handle.trigger('stdin closed');
    expect(await failing.exited).toBe(1);
    failing.handle.dispose();

    const hanging = setup(() => new Promise<void>(() => {}), 20);
    hanging.target.emit('SIGTERM', 'SIGTERM');
    expect(await hanging.exited).toBe(1);
    hanging.handle.dispose();
  });
});
