import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFileChecksum } from './model-layout.ts';

/** Written next to the files of a model in the cache by pull and import. */
export const modelRecordFile = '.nellie-model.json';

export interface ModelRecord {
  model: string;
  revision?: string;
  source: 'pull' | 'import';
  /** Where the files came from: a URL prefix or a directory. */
  from: string;
  /** True when the files matched a manifest; false when they were imported as trusted. */
  verified: boolean;
  files: ModelFileChecksum[];
  updatedAt: string;
}

export async function readModelRecord(dir: string): Promise<ModelRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, modelRecordFile), 'utf8')) as ModelRecord;
    return Array.isArray(parsed.files) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the record atomically, keeping checksums of files other dtypes pulled before. */
export async function writeModelRecord(dir: string, record: ModelRecord): Promise<void> {
  const previous = await readModelRecord(dir);
  const files = new Map<string, ModelFileChecksum>();
  if (previous?.model === record.model) {
    for (const file of previous.files) files.set(file.path, file);
  }
  for (const file of record.files) files.set(file.path, file);
  const merged: ModelRecord = {
    ...record,
    verified: record.verified && (previous?.model !== record.model || previous.verified),
    files: [...files.values()].sort((a, b) => a.path.localeCompare(b.path)),
  };
  const temporary = join(dir, `${modelRecordFile}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(temporary, `${JSON.stringify(merged, null, 2)}\n`);
  await rename(temporary, join(dir, modelRecordFile));
}
