import type { Logger } from '@nellie/core';

export interface ShutdownOptions {
  logger: Logger;
  /** How long the graceful part may take before the process exits anyway. */
  timeoutMs: number;
  /** Runs once, on the first signal or `trigger()`. */
  onShutdown: (reason: string) => Promise<void>;
  /** Defaults to `process.exit`. */
  exit?: (code: number) => void;
  /** Defaults to `process`. */
  target?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  signals?: readonly NodeJS.Signals[];
}

export interface ShutdownHandle {
  /** Starts a graceful shutdown as if a signal had arrived (e.g. stdin closed). */
  trigger(reason: string): void;
  /** True once a shutdown has started. */
  readonly started: boolean;
  /** Removes the signal listeners. */
  dispose(): void;
}

const signalExitCodes: Partial<Record<NodeJS.Signals, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};

/**
 * Graceful shutdown on SIGTERM/SIGINT: the first signal runs `onShutdown` within `timeoutMs`
 * and exits 0 (1 if it failed or timed out); a second signal exits at once.
 */
export function handleShutdown(options: ShutdownOptions): ShutdownHandle {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const target = options.target ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let started = false;
  let timer: NodeJS.Timeout | undefined;

  const begin = (reason: string): void => {
    started = true;
    options.logger.info(
      { reason, timeoutMs: options.timeoutMs },
      'Shutting down: finishing in-flight work (send the signal again to exit at once)',
    );
    timer = setTimeout(() => {
      options.logger.error(
        { timeoutMs: options.timeoutMs },
        'Shutdown did not finish in time; exiting anyway (indexed files are kept, the interrupted job resumes on the next start)',
      );
      exit(1);
    }, options.timeoutMs);
    timer.unref();
    options.onShutdown(reason).then(
      () => {
        clearTimeout(timer);
        options.logger.info({}, 'Shutdown complete');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.logger.error({ err: error }, 'Shutdown failed');
        exit(1);
      },
    );
  };

  const listener = (signal: NodeJS.Signals): void => {
    if (started) {
      options.logger.warn({ signal }, 'Second signal received: exiting at once');
      exit(signalExitCodes[signal] ?? 1);
      return;
    }
    begin(signal);
  };
  for (const signal of signals) target.on(signal, listener);

  return {
    trigger(reason: string): void {
      if (!started) begin(reason);
    },
    get started() {
      return started;
    },
    dispose(): void {
      clearTimeout(timer);
      for (const signal of signals) target.off(signal, listener);
    },
  };
}
