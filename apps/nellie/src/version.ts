import packageJson from '../package.json' with { type: 'json' };

/** Nellie's version, from the app's package.json. */
export const version: string = packageJson.version;
