import {
  lineWindows,
  noSymbol,
  type LineBudget,
  type RangeChunk,
  type SymbolMeta,
} from '../internal/chunk-budget.ts';

interface Section {
  start: number;
  end: number;
  meta: SymbolMeta;
}

const atxHeading = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const fence = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Markdown split at headings (outside fenced code). Each section is named after its heading and
 * enclosed by its parent heading; small neighbouring sections share a chunk and long ones are cut
 * into overlapping windows.
 */
export function chunkMarkdown(budget: LineBudget): RangeChunk[] {
  const sections: Section[] = [];
  const parents: { level: number; title: string }[] = [];
  let openFence: string | null = null;
  let current: Section = { start: 0, end: -1, meta: noSymbol };
  for (let line = 0; line < budget.lineCount; line += 1) {
    const text = budget.lines[line]!;
    const fenceMatch = fence.exec(text);
    if (fenceMatch) {
      const marker = fenceMatch[1]!;
      if (openFence === null) openFence = marker;
      else if (marker[0] === openFence[0] && marker.length >= openFence.length) openFence = null;
    }
    const heading = openFence === null && !fenceMatch ? atxHeading.exec(text) : null;
    if (heading) {
      if (current.end >= current.start) sections.push(current);
      const level = heading[1]!.length;
      const title = (heading[2] ?? '').trim() || '(untitled)';
      while (parents.length > 0 && parents.at(-1)!.level >= level) parents.pop();
      const enclosing = parents.at(-1)?.title ?? null;
      parents.push({ level, title });
      current = { start: line, end: line, meta: { name: title, kind: 'heading', enclosing } };
      continue;
    }
    current.end = line;
  }
  if (current.end >= current.start) sections.push(current);

  const chunks: RangeChunk[] = [];
  let group: Section[] = [];
  const flush = (): void => {
    if (group.length === 0) return;
    const first = group[0]!;
    const last = group.at(-1)!;
    chunks.push({ start: first.start, end: last.end, meta: first.meta });
    group = [];
  };
  for (const section of sections) {
    if (!budget.fits(section.start, section.end)) {
      flush();
      chunks.push(...lineWindows(budget, section.start, section.end, section.meta, 0.15));
      continue;
    }
    if (group.length > 0) {
      const first = group[0]!;
      // Sections merge only below their first heading, so the chunk's name stays true.
      const nested =
        section.meta.enclosing !== null &&
        (section.meta.enclosing === first.meta.name ||
          section.meta.enclosing === first.meta.enclosing);
      const small = budget.size(section.start, section.end) < budget.maxChars * 0.25;
      if ((nested || first.meta.name === null) && small && budget.fits(first.start, section.end)) {
        group.push(section);
        continue;
      }
      flush();
    }
    group.push(section);
  }
  flush();
  return chunks;
}
