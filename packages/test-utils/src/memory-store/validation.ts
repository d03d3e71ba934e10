import { createHash } from 'node:crypto';
import { lessonSeverities, limits, NellieError, type Lesson } from '@nellie/core';

/** Input checks of the in-memory store, mirroring what the SQLite store refuses. */

export const contentHashPattern = /^[0-9a-f]{64}$/;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function invalid(message: string): NellieError {
  return new NellieError('INVALID_INPUT', message);
}

export function checkKeys(value: object, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(`Invalid ${what}: unknown field "${key}".`);
  }
}

export function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') throw invalid(`${field} must be a string.`);
  const trimmed = value.trim();
  if (trimmed === '') throw invalid(`${field} must not be empty.`);
  if (trimmed.length > max) throw invalid(`${field} must be at most ${max} characters.`);
  return trimmed;
}

export function optionalText(value: unknown, field: string, max: number): string | null {
  return value === undefined || value === null ? null : text(value, field, max);
}

export function filter(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw invalid(`${field} must be a non-empty string of at most ${max} characters.`);
  }
  return value;
}

export function limitOf(value: unknown, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`limit must be a whole number between 1 and ${max}.`);
  }
  return value;
}

export function offsetOf(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw invalid('offset must be a whole number, at least 0.');
  }
  if (value > limits.offset) throw invalid(`offset must be at most ${limits.offset}.`);
  return value;
}

export function tagsOf(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('tags must be an array of strings.');
  if (value.length > limits.lessonTags) throw invalid(`at most ${limits.lessonTags} tags`);
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const tag of value) {
    const clean = text(tag, 'tag', limits.tagLength);
    if (seen.has(clean.toLowerCase())) continue;
    seen.add(clean.toLowerCase());
    tags.push(clean);
  }
  return tags;
}

export function severityOf(value: unknown): Lesson['severity'] {
  if (!lessonSeverities.includes(value as Lesson['severity'])) {
    throw invalid(`severity must be one of ${lessonSeverities.join(', ')}.`);
  }
  return value as Lesson['severity'];
}

/** Relative paths with `/` separators that stay inside the repository. */
export function checkRelativePath(path: unknown): string {
  if (typeof path !== 'string' || path === '' || path.includes('\\') || path.startsWith('/')) {
    throw invalid(`The file path "${String(path)}" must be relative, with / separators.`);
  }
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw invalid(`The file path "${path}" must stay inside the repository.`);
  }
  return path;
}
