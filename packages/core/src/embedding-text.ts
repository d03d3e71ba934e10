/**
 * The text embedded for a code chunk: a short header naming the file and the symbols, then the
 * code. The header gives the model context the code alone lacks; hits still return exact source.
 */
export function formatChunkForEmbedding(chunk: {
  path: string;
  content: string;
  symbolName?: string | null;
  enclosingSymbol?: string | null;
}): string {
  const symbols = [chunk.enclosingSymbol, chunk.symbolName].filter(Boolean).join('.');
  const header = symbols ? `${chunk.path} ${symbols}` : chunk.path;
  return `${header}\n${chunk.content}`;
}

export function formatLessonForEmbedding(lesson: {
  title: string;
  content: string;
  tags?: readonly string[];
}): string {
  const tags = lesson.tags?.length ? `\n${lesson.tags.join(' ')}` : '';
  return `${lesson.title}\n${lesson.content}${tags}`;
}

export function formatCheckpointForEmbedding(checkpoint: {
  workingOn: string;
  state?: Record<string, unknown>;
}): string {
  const state = checkpoint.state ? JSON.stringify(checkpoint.state) : '';
  return state && state !== '{}' ? `${checkpoint.workingOn}\n${state}` : checkpoint.workingOn;
}
