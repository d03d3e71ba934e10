import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { NellieError, type ChunkInput, type FileInput } from '@nellie/core';
import { parseInput } from '@nellie/schemas';
import { z } from 'zod';
import { pathTokenText, symbolKey, tokenText } from './tokens.ts';

/** Validation of repository, file and chunk input, and the tokens a file write stores. */

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export const idSchema = z
  .number({ error: 'id must be a number' })
  .int('id must be a whole number')
  .positive('id must be positive');

export const repositoryInputSchema = z.strictObject({
  rootPath: z
    .string({ error: 'rootPath must be a string' })
    .min(1, 'rootPath must not be empty')
    .max(4096)
    .refine((value) => isAbsolute(value), 'rootPath must be an absolute path'),
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
});

/** A relative path with `/` separators that stays inside its repository. */
export const relativePathSchema = z
  .string({ error: 'path must be a string' })
  .min(1, 'path must not be empty')
  .max(4096, 'path must be at most 4096 characters')
  .refine(
    (value) =>
      !value.startsWith('/') &&
      !/^[A-Za-z]:/.test(value) &&
      !value.includes('\\') &&
      !value.includes('\0') &&
      value.split('/').every((segment) => segment !== '..' && segment !== '.' && segment !== ''),
    'path must be relative to the repository root, use "/" separators and contain no "." or ".." segments',
  );

const nullableText = (max: number) => z.string().max(max).nullish();

export const fileInputSchema = z.object({
  path: relativePathSchema,
  language: nullableText(100),
  size: z.number().int().min(0),
  mtimeMs: z.number().finite().min(0),
  contentHash: z.string().min(1).max(128),
});

/** Chunks above this size are rejected: a chunker should never produce them. */
const maxChunkBytes = 1024 * 1024;

export const chunkInputSchema = z
  .object({
    startLine: z.number().int().min(1),
    endLine: z.number().int().min(1),
    content: z
      .string()
      .max(maxChunkBytes, `chunk content must be at most ${maxChunkBytes} characters`),
    symbolName: nullableText(1000),
    symbolKind: nullableText(100),
    enclosingSymbol: nullableText(1000),
    language: nullableText(100),
  })
  .refine((chunk) => chunk.endLine >= chunk.startLine, 'endLine must not be before startLine');

export const touchSchema = z.object({
  size: z.number().int().min(0),
  mtimeMs: z.number().finite().min(0),
});

export function normaliseLanguage(value: string | null | undefined): string | null {
  const trimmed = value?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}

/** A file and its chunks, validated and tokenised for the full-text index. */
export interface PreparedFileWrite {
  file: z.output<typeof fileInputSchema>;
  language: string | null;
  pathTokens: string;
  chunks: {
    chunk: z.output<typeof chunkInputSchema>;
    language: string | null;
    contentHash: string;
    symbolKey: string | null;
    symbolTokens: string;
    containerTokens: string;
    bodyTokens: string;
  }[];
}

/** Validates a file and its chunks (INVALID_INPUT naming the chunk) and computes their tokens. */
export function prepareFileWrite(
  file: FileInput,
  chunks: readonly ChunkInput[],
): PreparedFileWrite {
  const parsedFile = parseInput(fileInputSchema, file, 'file');
  if (!Array.isArray(chunks)) throw new NellieError('INVALID_INPUT', 'chunks must be an array.');
  const parsedChunks = chunks.map((chunk, index) =>
    parseInput(chunkInputSchema, chunk, `chunk ${index} of ${parsedFile.path}`),
  );
  const fileLanguage = normaliseLanguage(parsedFile.language);
  return {
    file: parsedFile,
    language: fileLanguage,
    pathTokens: pathTokenText(parsedFile.path),
    chunks: parsedChunks.map((chunk) => ({
      chunk,
      language: normaliseLanguage(chunk.language) ?? fileLanguage,
      contentHash: sha256(chunk.content),
      symbolKey: symbolKey(chunk.symbolName),
      symbolTokens: tokenText(chunk.symbolName),
      containerTokens: tokenText(chunk.enclosingSymbol),
      bodyTokens: tokenText(chunk.content),
    })),
  };
}
