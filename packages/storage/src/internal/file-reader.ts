import { open, realpath } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { NellieError, readFileLimits, type FileExcerpt, type ReadFileRequest } from '@nellie/core';
import { z } from 'zod';
import { relativePathSchema } from './code-input.ts';
import type { StoreContext } from './context.ts';
import type { RepositoryAdmin } from './repository-admin.ts';
import { parseInput } from '@nellie/schemas';

/** Files above this size are not read at all: counting their lines would cost too much. */
const maxFileBytes = 16 * 1024 * 1024;

const lineSchema = (name: string) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be at least 1`)
    .max(100_000_000, `${name} is too large`);

export const readFileRequestSchema = z
  .strictObject({
    repository: z.string({ error: 'repository must be a string' }).min(1).max(4096),
    path: relativePathSchema,
    startLine: lineSchema('startLine').optional(),
    endLine: lineSchema('endLine').optional(),
  })
  .refine(
    (request) =>
      request.startLine === undefined ||
      request.endLine === undefined ||
      request.endLine >= request.startLine,
    'endLine must not be before startLine',
  );

export interface IndexedFileRow {
  size: number;
  mtime_ms: number;
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Reads line ranges of indexed files only, and only inside their repository root: the path is
 * checked lexically, then the real paths of root and file are compared, so a symlink cannot lead
 * out of the repository.
 */
export class IndexedFileReader {
  readonly #ctx: StoreContext;
  readonly #repositories: RepositoryAdmin;

  constructor(ctx: StoreContext, repositories: RepositoryAdmin) {
    this.#ctx = ctx;
    this.#repositories = repositories;
  }

  async read(request: ReadFileRequest): Promise<FileExcerpt> {
    const parsed = parseInput(readFileRequestSchema, request, 'file read request');
    const { repository, file } = this.#ctx.read(() => {
      const row = this.#repositories.require(parsed.repository);
      const indexed = this.#ctx
        .statement(`SELECT size, mtime_ms FROM files WHERE repository_id = ? AND path = ?`)
        .get(row.id, parsed.path) as IndexedFileRow | undefined;
      return { repository: row, file: indexed };
    });
    return readIndexedExcerpt(repository, file, parsed);
  }
}

/**
 * Reads the requested lines of an indexed file from disk, inside its repository root; `indexed`
 * is the file's row (size and mtime when indexed), or undefined when it is not indexed. Shared by
 * every store engine: only the lookup of the row differs.
 */
export async function readIndexedExcerpt(
  repository: { name: string; root_path: string },
  file: IndexedFileRow | undefined,
  parsed: z.output<typeof readFileRequestSchema>,
): Promise<FileExcerpt> {
  if (!file) {
    throw new NellieError(
      'NOT_FOUND',
      `${parsed.path} is not indexed in repository ${repository.name} (it may be ignored, ` +
        'excluded as a secret, too large, or not indexed yet); only indexed files can be read. ' +
        'Find files with search_code.',
    );
  }
  const absolutePath = join(repository.root_path, ...parsed.path.split('/'));
  const realFile = await resolveInside(repository.root_path, absolutePath, parsed.path);

  const handle = await open(realFile, 'r');
  let text: string;
  let current: { size: number; mtimeMs: number };
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new NellieError('INVALID_INPUT', `${parsed.path} is not a regular file.`);
    }
    if (info.size > maxFileBytes) {
      throw new NellieError(
        'INVALID_INPUT',
        `${parsed.path} is ${info.size} bytes on disk, more than the ${maxFileBytes} bytes that can be read; it changed since it was indexed, so re-index it.`,
      );
    }
    current = { size: info.size, mtimeMs: info.mtimeMs };
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }

  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const totalLines = lines.length;
  const startLine = parsed.startLine ?? 1;
  if (startLine > Math.max(totalLines, 1)) {
    throw new NellieError(
      'INVALID_INPUT',
      `startLine ${startLine} is past the end of ${parsed.path}, which has ${totalLines} lines.`,
    );
  }
  const wantedEnd = Math.min(parsed.endLine ?? totalLines, totalLines);
  const picked: string[] = [];
  let bytes = 0;
  let truncated = false;
  for (let line = startLine; line <= wantedEnd; line += 1) {
    const value = lines[line - 1]!;
    const size = Buffer.byteLength(value, 'utf8') + 1;
    if (picked.length >= readFileLimits.maxLines || bytes + size > readFileLimits.maxBytes) {
      truncated = true;
      if (picked.length === 0) {
        // One line longer than the byte limit: return its beginning rather than nothing.
        picked.push(
          Buffer.from(value, 'utf8').subarray(0, readFileLimits.maxBytes).toString('utf8'),
        );
      }
      break;
    }
    picked.push(value);
    bytes += size;
  }
  return {
    repository: repository.name,
    rootPath: repository.root_path,
    path: parsed.path,
    absolutePath,
    startLine,
    endLine: picked.length === 0 ? startLine - 1 : startLine + picked.length - 1,
    totalLines,
    truncated,
    content: picked.join('\n'),
    changedSinceIndexed:
      current.size !== file.size || Math.abs(current.mtimeMs - file.mtime_ms) >= 1,
  };
}

/** The file's real path, after checking it lies under the root's real path. */
async function resolveInside(
  rootPath: string,
  absolutePath: string,
  path: string,
): Promise<string> {
  let realRoot: string;
  try {
    realRoot = await realpath(rootPath);
  } catch (error) {
    if (isMissing(error)) {
      throw new NellieError(
        'NOT_FOUND',
        `The root ${rootPath} of this repository no longer exists; remove the repository or restore the checkout.`,
      );
    }
    throw error;
  }
  let realFile: string;
  try {
    realFile = await realpath(absolutePath);
  } catch (error) {
    if (isMissing(error)) {
      throw new NellieError(
        'NOT_FOUND',
        `${path} was indexed but is gone from disk; re-index the repository.`,
      );
    }
    throw error;
  }
  const prefix = realRoot.endsWith(sep) ? realRoot : realRoot + sep;
  if (!realFile.startsWith(prefix)) {
    throw new NellieError(
      'INVALID_INPUT',
      `${path} resolves outside the repository root (through a symlink); it cannot be read.`,
    );
  }
  return realFile;
}
