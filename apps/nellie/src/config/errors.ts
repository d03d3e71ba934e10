import { NellieError } from '@nellie/core';
import type { SettingOrigin } from './setting-table.ts';

/** An `INVALID_OPTIONS` error about the configuration. */
export function configError(message: string, cause?: unknown): NellieError {
  return new NellieError('INVALID_OPTIONS', message, cause === undefined ? undefined : { cause });
}

/** Where a value came from, as a sentence part: `environment variable NELLIE_PORT`. */
export function originText(origin: SettingOrigin): string {
  switch (origin.source) {
    case 'default':
      return 'the default';
    case 'file':
      return `config file ${origin.name}`;
    case 'env':
      return `environment variable ${origin.name}`;
    case 'flag':
      return `flag ${origin.name}`;
  }
}
