import type { IndexJob, IndexProgress } from '@nellie/core';

/** Shortens a single line to `max` characters, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Collapses whitespace so a multi-line text reads as one line, then shortens it. */
export function preview(text: string, max: number): string {
  return truncate(text.replaceAll(/\s+/g, ' ').trim(), max);
}

/**
 * A few lines of code for a result list: blank edges dropped, common indentation removed, long
 * lines cut, and a note of how many lines were left out.
 */
export function codeSnippet(
  content: string,
  options: { maxLines?: number; maxLineLength?: number } = {},
): string[] {
  const maxLines = options.maxLines ?? 8;
  const maxLineLength = options.maxLineLength ?? 160;
  const lines = content.replaceAll('\r\n', '\n').split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => /^[ \t]*/.exec(line)![0].length);
  const indent = indents.length > 0 ? Math.min(...indents) : 0;
  const shown = lines
    .slice(0, maxLines)
    .map((line) => truncate(line.slice(indent).trimEnd(), maxLineLength));
  if (lines.length > maxLines) shown.push(`… ${lines.length - maxLines} more lines`);
  return shown;
}

/** Indents every line of a block. */
export function indent(lines: readonly string[], prefix = '   '): string {
  return lines.map((line) => (line === '' ? line : `${prefix}${line}`)).join('\n');
}

/** Scores are only comparable within one list; two significant digits are plenty. */
export function formatScore(score: number): string {
  return Math.abs(score) >= 0.1 ? score.toFixed(2) : score.toPrecision(2);
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

export function formatProgress(progress: IndexProgress): string {
  const parts = [
    `${plural(progress.filesSeen, 'file')} seen`,
    `${progress.filesIndexed} indexed`,
    `${progress.filesUnchanged} unchanged`,
  ];
  if (progress.filesSkipped > 0) {
    parts.push(
      progress.filesSkippedSecret > 0
        ? `${progress.filesSkipped} skipped (${progress.filesSkippedSecret} secret files not read)`
        : `${progress.filesSkipped} skipped`,
    );
  }
  if (progress.filesSkippedExcluded > 0) {
    const patterns = Object.entries(progress.excludedBy)
      .sort((a, b) => b[1] - a[1])
      .map(([pattern, count]) => `${pattern} ${count}`);
    parts.push(`${progress.filesSkippedExcluded} excluded by default (${patterns.join(', ')})`);
  }
  if (progress.filesFailed > 0) parts.push(`${progress.filesFailed} failed`);
  if (progress.filesDeleted > 0) parts.push(`${progress.filesDeleted} deleted`);
  parts.push(`${plural(progress.chunksWritten, 'chunk')} written`);
  if (progress.chunksPendingEmbedding > 0) {
    parts.push(`${progress.chunksPendingEmbedding} awaiting embeddings`);
  }
  return parts.join(', ');
}

/** One line per job: id, state, mode, repository, and progress or outcome. */
export function formatJob(job: IndexJob): string {
  const head = `${job.id} ${job.state} ${job.mode} ${job.repository} (${job.rootPath})`;
  const when =
    job.finishedAt !== null
      ? `finished ${job.finishedAt}`
      : job.startedAt !== null
        ? `started ${job.startedAt}`
        : `queued ${job.createdAt}`;
  const error = job.error === null ? '' : `; error: ${preview(job.error, 300)}`;
  return `${head}: ${formatProgress(job.progress)}; ${when}${error}`;
}

/** A compact JSON rendering of a state object, cut to `max` characters. */
export function compactJson(value: unknown, max: number): string {
  return truncate(JSON.stringify(value) ?? 'null', max);
}

/** Lists up to `max` items, then says how many more there are. */
export function sampleList(items: readonly string[], max: number): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, … ${items.length - max} more` : shown;
}
