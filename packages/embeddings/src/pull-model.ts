import { mkdir, mkdtemp, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NellieError, throwIfAborted } from '@nellie/core';
import { z } from 'zod';
import { downloadToFile } from './internal/download.ts';
import { hashFile } from './internal/file-hash.ts';
import { cachePathFor, optionalModelFiles, requiredModelFiles } from './internal/model-layout.ts';
import { modelDtypeOptionSchema, modelIdOptionSchema } from './internal/model-options.ts';
import { writeModelRecord } from './internal/model-record.ts';
import {
  getModelManifest,
  manifestFilesFor,
  type ModelFileChecksum,
  type ModelManifest,
} from './model-manifest.ts';

export const pullModelOptionsSchema = z.object({
  /** Hub model id. */
  model: modelIdOptionSchema,
  /** Hub revision (commit, tag or branch); defaults to the manifest's revision, else `main`. */
  revision: z.string().min(1).max(200).optional(),
  /** Which weights to fetch (`q8` → onnx/model_quantized.onnx, `fp32` → onnx/model.onnx). */
  dtype: modelDtypeOptionSchema,
  /** The model cache; files land in `<cacheDir>/<org>/<name>`. Created when missing. */
  cacheDir: z.string().min(1),
  /** Where models are downloaded from: the Hub or a mirror with the same URL layout. */
  hubUrl: z.url({ protocol: /^https?$/ }).default('https://huggingface.co'),
  /** Longest wait for response headers or for the next bytes of a file, in milliseconds. */
  timeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
  /** Access token for private or gated models, sent as a bearer token. */
  token: z.string().min(1).optional(),
});

export type PullModelOptions = z.input<typeof pullModelOptionsSchema> & {
  /**
   * Checksums the files must match. Defaults to the built-in manifest of the model (Nellie knows
   * the default model's); `null` downloads without checksums (sizes are still checked against
   * what the server announces, and the hashes are recorded for `verifyModel`).
   */
  manifest?: ModelManifest | null;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  onProgress?: (event: PullProgress) => void;
};

export interface PullProgress {
  file: string;
  /** `skipped`: already in the cache and matching its checksum. */
  state: 'downloading' | 'verified' | 'downloaded' | 'skipped';
  receivedBytes: number;
  totalBytes?: number;
}

export interface PulledFile extends ModelFileChecksum {
  /** False when the file was already in the cache with the right checksum. */
  downloaded: boolean;
  /** True when it matched a manifest checksum. */
  verified: boolean;
}

export interface PullResult {
  model: string;
  revision: string;
  /** The model directory in the cache, ready to load. */
  dir: string;
  /** True when every file matched a manifest checksum. */
  verified: boolean;
  files: PulledFile[];
}

/**
 * Downloads a model into the cache. Every file goes into a temporary directory beside the model's
 * directory and is checked against its size and sha256; only when all of them passed do they move
 * into place (the whole directory is renamed when the model is new). A pull that fails for any
 * reason — a network error, a file that does not match (`MODEL_VERIFICATION_FAILED`), a
 * cancellation — leaves nothing behind: no model directory, no partial files. A temporary
 * directory left by a process that was killed mid-pull is removed by the next pull.
 */
export async function pullModel(options: PullModelOptions): Promise<PullResult> {
  const parsed = pullModelOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const { model, dtype, timeoutMs, token } = parsed.data;
  const manifest = options.manifest === undefined ? getModelManifest(model) : options.manifest;
  if (manifest && manifest.model !== model) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `The manifest describes ${manifest.model}, not ${model}.`,
    );
  }
  const revision = parsed.data.revision ?? manifest?.revision ?? 'main';
  const hubUrl = parsed.data.hubUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const headers: Record<string, string> = { 'user-agent': 'nellie-embeddings' };
  if (token) headers.authorization = `Bearer ${token}`;

  const checksums = new Map<string, ModelFileChecksum>(
    manifest ? manifestFilesFor(manifest, dtype).map((file) => [file.path, file]) : [],
  );
  const wanted = new Map<string, { required: boolean }>();
  for (const file of requiredModelFiles(dtype)) wanted.set(file, { required: true });
  for (const file of checksums.keys()) wanted.set(file, { required: true });
  for (const file of optionalModelFiles)
    if (!wanted.has(file)) wanted.set(file, { required: false });

  throwIfAborted(options.signal);
  const cacheDir = resolve(parsed.data.cacheDir);
  const target = cachePathFor(cacheDir, model);
  const parent = dirname(target);
  // Created here only when missing, so a failed pull can remove exactly what it made.
  const created = await mkdir(parent, { recursive: true });
  await removeAbandonedStaging(parent, basename(target));
  const staging = await mkdtemp(join(parent, `.${basename(target)}.pull-${process.pid}-`));
  let moved = false;
  try {
    const results: PulledFile[] = [];
    for (const [file, { required }] of wanted) {
      throwIfAborted(options.signal);
      const expected = checksums.get(file);
      const destination = join(target, file);
      const temporary = join(staging, file);
      await mkdir(dirname(temporary), { recursive: true });
      if (expected && (await matches(destination, expected))) {
        results.push({ ...expected, downloaded: false, verified: true });
        options.onProgress?.({ file, state: 'skipped', receivedBytes: expected.bytes });
        continue;
      }
      const url = `${hubUrl}/${model}/resolve/${encodeURIComponent(revision)}/${file}`;
      let downloaded;
      try {
        downloaded = await downloadToFile({
          url,
          target: temporary,
          fetch: fetchImpl,
          headers,
          timeoutMs,
          signal: options.signal,
          label: `${file} of ${model}@${revision}`,
          onBytes: (receivedBytes, totalBytes) =>
            options.onProgress?.({ file, state: 'downloading', receivedBytes, totalBytes }),
        });
      } catch (error) {
        await rm(temporary, { force: true });
        if (!required && NellieError.is(error) && error.code === 'MODEL_NOT_FOUND') continue;
        throw error;
      }
      if (expected) {
        const problem =
          downloaded.bytes !== expected.bytes
            ? `it has ${downloaded.bytes} bytes where ${expected.bytes} were expected (truncated or altered)`
            : downloaded.sha256 !== expected.sha256
              ? `its sha256 is ${downloaded.sha256}, expected ${expected.sha256}`
              : undefined;
        if (problem) {
          throw new NellieError(
            'MODEL_VERIFICATION_FAILED',
            `Downloaded ${file} of ${model}@${revision} from ${url} failed verification: ` +
              `${problem}. Nothing was kept and nothing was loaded. Run the pull again; if ` +
              'it keeps failing, the mirror or a proxy is altering the file.',
          );
        }
      }
      results.push({
        path: file,
        bytes: downloaded.bytes,
        sha256: downloaded.sha256,
        ...(expected?.dtype ? { dtype: expected.dtype } : {}),
        downloaded: true,
        verified: expected !== undefined,
      });
      options.onProgress?.({
        file,
        state: expected ? 'verified' : 'downloaded',
        receivedBytes: downloaded.bytes,
        totalBytes: downloaded.bytes,
      });
    }
    throwIfAborted(options.signal);
    const verified = results.every((file) => file.verified);
    const record = {
      model,
      revision,
      source: 'pull' as const,
      from: `${hubUrl}/${model}`,
      verified,
      files: results.map(({ path, bytes, sha256, dtype: fileDtype }) => ({
        path,
        bytes,
        sha256,
        ...(fileDtype ? { dtype: fileDtype } : {}),
      })),
      updatedAt: new Date().toISOString(),
    };
    if (!(await isDirectory(target))) {
      // A new model appears whole, in one rename.
      await writeModelRecord(staging, record);
      await rename(staging, target);
      moved = true;
    } else {
      // Files of other dtypes pulled before stay; the new ones replace theirs one by one.
      for (const file of results.filter((entry) => entry.downloaded)) {
        await mkdir(dirname(join(target, file.path)), { recursive: true });
        await rename(join(staging, file.path), join(target, file.path));
      }
      await writeModelRecord(target, record);
    }
    return { model, revision, dir: target, verified, files: results };
  } finally {
    if (!moved) await rm(staging, { recursive: true, force: true });
    if (created !== undefined && !moved) await removeEmptyUpTo(parent, created);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Removes `dir` and its parents up to `top` (the directories this pull created) while empty. */
async function removeEmptyUpTo(dir: string, top: string): Promise<void> {
  for (let current = dir; current.startsWith(top); current = dirname(current)) {
    try {
      if ((await readdir(current)).length > 0) return;
      await rmdir(current);
    } catch {
      // Someone else put something there, or it is gone already.
      return;
    }
  }
}

/** Staging directories of pulls whose process no longer runs (killed mid-download). */
async function removeAbandonedStaging(parent: string, name: string): Promise<void> {
  const prefix = `.${name}.pull-`;
  for (const entry of await readdir(parent).catch(() => [] as string[])) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) continue;
    await rm(join(parent, entry), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

async function matches(path: string, expected: ModelFileChecksum): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size !== expected.bytes) return false;
  return (await hashFile(path)).sha256 === expected.sha256;
}
