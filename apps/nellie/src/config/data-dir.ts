import path from 'node:path';

/** The default data directory: systemd's StateDirectory, else XDG, else ~/.local/share/nellie. */
export function defaultDataDir(env: Record<string, string | undefined>, homeDir: string): string {
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return stateDirectory;
  if (env.XDG_DATA_HOME) return path.join(env.XDG_DATA_HOME, 'nellie');
  return path.join(homeDir, '.local', 'share', 'nellie');
}

/** The database file of a data directory. */
export function databasePath(settings: { dataDir: string }): string {
  return path.join(settings.dataDir, 'nellie.db');
}

/** The model cache of a data directory. */
export function modelCacheDir(settings: { dataDir: string }): string {
  return path.join(settings.dataDir, 'models');
}
