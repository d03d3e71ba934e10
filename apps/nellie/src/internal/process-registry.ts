import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A Nellie process that has a data directory's database open. */
export interface DataDirHolder {
  pid: number;
  command: string;
  startedAt: string;
  /** The server's URL once it listens. */
  url?: string;
}

function runDir(dataDir: string): string {
  return path.join(dataDir, 'run');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Records that this process uses the data directory, so `nellie restore` can refuse to swap the
 * database under a running server. Entries of processes that died are ignored and removed.
 */
export function registerHolder(
  dataDir: string,
  command: string,
): { update(fields: Partial<DataDirHolder>): void; release(): void } {
  const directory = runDir(dataDir);
  mkdirSync(directory, { recursive: true });
  const file = path.join(directory, `${process.pid}.json`);
  let holder: DataDirHolder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  const write = (): void => writeFileSync(file, `${JSON.stringify(holder)}\n`);
  write();
  return {
    update(fields) {
      holder = { ...holder, ...fields };
      write();
    },
    release() {
      rmSync(file, { force: true });
    },
  };
}

/** Live processes (other than this one) holding the data directory. */
export function listHolders(dataDir: string): DataDirHolder[] {
  const directory = runDir(dataDir);
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  const holders: DataDirHolder[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const file = path.join(directory, name);
    try {
      const holder = JSON.parse(readFileSync(file, 'utf8')) as DataDirHolder;
      if (holder.pid === process.pid) continue;
      if (isAlive(holder.pid)) holders.push(holder);
      else rmSync(file, { force: true });
    } catch {
      rmSync(file, { force: true });
    }
  }
  return holders;
}
