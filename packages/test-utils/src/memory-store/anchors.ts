import { createHash } from 'node:crypto';
import {
  NellieError,
  anchorStates,
  codeInRange,
  locateAnchor,
  memoryStaleness,
  mentionedCode,
  withDefinitions,
  type Anchor,
  type AnchorCodeView,
  type AnchorInput,
  type AnchorState,
  type Repository,
} from '@nellie/core';

/** What the anchors of the fake store read from its code side. */
export interface AnchorCodeSource {
  findRepository(nameOrPath: string): Repository | null;
  repository(id: number): Repository | undefined;
  /** Chunks of a file as indexed now, in line order (empty when not indexed); anchors add the definitions inside unnamed chunks. */
  chunksAt(repositoryId: number, path: string): AnchorCodeView[];
  /** Every indexed file: repository id and path. */
  files(): { repositoryId: number; path: string }[];
}

interface AnchorRecord {
  repositoryId: number;
  path: string;
  symbol: string | null;
  startLine: number;
  endLine: number;
  content: string;
  origin: Anchor['origin'];
  state: AnchorState;
  change: Anchor['change'];
  movedFrom: string | null;
  checkedAt: string;
}

const maxAutomaticAnchors = 10;
const maxAnchors = 20;

function invalid(message: string): NellieError {
  return new NellieError('INVALID_INPUT', message);
}

/** The fake store's lesson anchors: the same rules as the SQLite store, over its maps. */
export class MemoryAnchors {
  readonly #code: AnchorCodeSource;
  readonly #byLesson = new Map<string, AnchorRecord[]>();

  constructor(code: AnchorCodeSource) {
    this.#code = {
      ...code,
      chunksAt: (repositoryId, path) => withDefinitions(code.chunksAt(repositoryId, path)),
    };
  }

  #symbolChunks(repositoryId: number | null, symbol: string) {
    return this.#code
      .files()
      .filter((file) => repositoryId === null || file.repositoryId === repositoryId)
      .flatMap((file) =>
        this.#code
          .chunksAt(file.repositoryId, file.path)
          .filter((chunk) => chunk.symbolName === symbol)
          .map((chunk) => ({ ...chunk, repositoryId: file.repositoryId })),
      );
  }

  /** Resolves anchors given by a caller; throws INVALID_INPUT for any that does not resolve. */
  resolve(inputs: unknown): AnchorRecord[] {
    if (inputs === undefined) return [];
    if (!Array.isArray(inputs)) throw invalid('anchors must be an array.');
    if (inputs.length > maxAnchors) throw invalid(`at most ${maxAnchors} anchors`);
    return (inputs as AnchorInput[]).map((input) => {
      if (typeof input !== 'object' || input === null) throw invalid('An anchor is an object.');
      const repository =
        typeof input.repository === 'string' ? this.#code.findRepository(input.repository) : null;
      if (!repository) {
        throw invalid(
          `Cannot anchor to repository "${String(input.repository)}": it is not indexed.`,
        );
      }
      const chunks =
        typeof input.path === 'string' ? this.#code.chunksAt(repository.id, input.path) : [];
      if (chunks.length === 0) {
        throw invalid(`Cannot anchor to ${String(input.path)}: no such indexed file.`);
      }
      const base = {
        repositoryId: repository.id,
        path: input.path,
        origin: 'explicit' as const,
      };
      if (input.symbol) {
        const line = input.startLine ?? 1;
        const chunk = chunks
          .filter((entry) => entry.symbolName === input.symbol)
          .sort((a, b) => Math.abs(a.startLine - line) - Math.abs(b.startLine - line))[0];
        if (!chunk)
          throw invalid(
            `Cannot anchor to symbol "${input.symbol}": it is not defined in ${input.path}.`,
          );
        return this.#record({ ...base, symbol: input.symbol, ...chunk });
      }
      const start = input.startLine ?? 1;
      const end =
        input.endLine ?? (input.startLine === undefined ? Number.MAX_SAFE_INTEGER : start);
      if (end < start) throw invalid('An anchor must not end before it starts.');
      const range = codeInRange(chunks, start, end);
      if (!range) throw invalid(`Cannot anchor to lines ${start}-${end} of ${input.path}.`);
      return this.#record({ ...base, symbol: null, ...range });
    });
  }

  #record(anchor: {
    repositoryId: number;
    path: string;
    symbol: string | null;
    startLine: number;
    endLine: number;
    content: string;
    origin: Anchor['origin'];
  }): AnchorRecord {
    return {
      repositoryId: anchor.repositoryId,
      path: anchor.path,
      symbol: anchor.symbol,
      startLine: anchor.startLine,
      endLine: anchor.endLine,
      content: anchor.content,
      origin: anchor.origin,
      state: 'current',
      change: null,
      movedFrom: null,
      checkedAt: new Date().toISOString(),
    };
  }

  automatic(text: string, repository: string | null): AnchorRecord[] {
    let repositoryId: number | null = null;
    if (repository !== null) {
      const found = this.#code.findRepository(repository);
      if (!found) return [];
      repositoryId = found.id;
    }
    const mentioned = mentionedCode(text);
    const anchors: AnchorRecord[] = [];
    for (const identifier of mentioned.identifiers) {
      const chunks = this.#symbolChunks(repositoryId, identifier);
      const places = new Set(chunks.map((chunk) => `${chunk.repositoryId}\u0000${chunk.path}`));
      if (places.size !== 1) continue;
      const chunk = chunks[0]!;
      anchors.push(this.#record({ ...chunk, symbol: identifier, origin: 'automatic' }));
    }
    for (const path of mentioned.paths) {
      const files = this.#code
        .files()
        .filter((file) => repositoryId === null || file.repositoryId === repositoryId)
        .filter((file) => file.path === path || file.path.endsWith(`/${path}`));
      if (files.length !== 1) continue;
      const file = files[0]!;
      if (anchors.some((a) => a.repositoryId === file.repositoryId && a.path === file.path)) {
        continue;
      }
      const range = codeInRange(
        this.#code.chunksAt(file.repositoryId, file.path),
        1,
        Number.MAX_SAFE_INTEGER,
      );
      if (!range) continue;
      anchors.push(this.#record({ ...file, symbol: null, ...range, origin: 'automatic' }));
    }
    return anchors.slice(0, maxAutomaticAnchors);
  }

  replace(lessonId: string, anchors: readonly AnchorRecord[]): void {
    const seen = new Set<string>();
    const kept = anchors.filter((anchor) => {
      const key = `${anchor.repositoryId}\u0000${anchor.path}\u0000${anchor.symbol}\u0000${anchor.startLine}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    this.#byLesson.set(lessonId, kept);
    this.recheck(kept);
  }

  explicitOf(lessonId: string): AnchorRecord[] {
    return (this.#byLesson.get(lessonId) ?? []).filter((anchor) => anchor.origin === 'explicit');
  }

  hasAutomatic(lessonId: string): boolean {
    return (this.#byLesson.get(lessonId) ?? []).some((anchor) => anchor.origin === 'automatic');
  }

  delete(lessonId: string): void {
    this.#byLesson.delete(lessonId);
  }

  /** Drops the anchors of a removed repository. */
  forgetRepository(repositoryId: number): void {
    for (const [lessonId, anchors] of this.#byLesson) {
      this.#byLesson.set(
        lessonId,
        anchors.filter((anchor) => anchor.repositoryId !== repositoryId),
      );
    }
  }

  #locate(anchor: AnchorRecord) {
    return locateAnchor(
      anchor,
      this.#code.chunksAt(anchor.repositoryId, anchor.path),
      anchor.symbol === null ? [] : this.#symbolChunks(anchor.repositoryId, anchor.symbol),
    );
  }

  recheck(anchors: readonly AnchorRecord[]): number {
    let changed = 0;
    for (const anchor of anchors) {
      const location = this.#locate(anchor);
      if (location.state !== anchor.state) changed += 1;
      Object.assign(anchor, {
        state: location.state,
        change: location.change,
        path: location.path,
        startLine: location.startLine,
        endLine: location.endLine,
        movedFrom: location.movedFrom,
        checkedAt: new Date().toISOString(),
      });
    }
    return changed;
  }

  refresh(repositoryId: number, paths: readonly string[]): number {
    const wanted = new Set(paths);
    const definedThere = new Set(
      paths.flatMap((path) =>
        this.#code
          .chunksAt(repositoryId, path)
          .map((chunk) => chunk.symbolName)
          .filter((name): name is string => name !== null),
      ),
    );
    const affected = [...this.#byLesson.values()]
      .flat()
      .filter(
        (anchor) =>
          anchor.repositoryId === repositoryId &&
          (wanted.has(anchor.path) ||
            (anchor.state === 'gone' && anchor.symbol !== null && definedThere.has(anchor.symbol))),
      );
    return this.recheck(affected);
  }

  confirm(lessonId: string): void {
    const kept: AnchorRecord[] = [];
    for (const anchor of this.#byLesson.get(lessonId) ?? []) {
      const location = this.#locate(anchor);
      if (location.content === null) continue;
      kept.push({
        ...anchor,
        path: location.path,
        startLine: location.startLine,
        endLine: location.endLine,
        content: location.content,
        state: 'current',
        change: null,
        movedFrom: null,
        checkedAt: new Date().toISOString(),
      });
    }
    this.#byLesson.set(lessonId, kept);
  }

  anchorsOf(lessonId: string): Anchor[] {
    return (this.#byLesson.get(lessonId) ?? []).map((anchor) => ({
      repository: this.#code.repository(anchor.repositoryId)?.name ?? '',
      path: anchor.path,
      symbol: anchor.symbol,
      startLine: anchor.startLine,
      endLine: anchor.endLine,
      contentHash: createHash('sha256').update(anchor.content).digest('hex'),
      state: anchor.state,
      change: anchor.change === null ? null : { ...anchor.change },
      movedFrom: anchor.movedFrom,
      origin: anchor.origin,
      checkedAt: anchor.checkedAt,
    }));
  }

  stalenessOf(lessonId: string): AnchorState | null {
    return memoryStaleness(this.#byLesson.get(lessonId) ?? []);
  }

  /** Ids of lessons anchored to code overlapping the location. */
  lessonsAt(location: {
    repository: string;
    path: string;
    startLine: number;
    endLine: number;
  }): string[] {
    const ids: string[] = [];
    for (const [lessonId, anchors] of this.#byLesson) {
      const hit = anchors.some(
        (anchor) =>
          this.#code.repository(anchor.repositoryId)?.name === location.repository &&
          anchor.path === location.path &&
          anchor.startLine <= location.endLine &&
          anchor.endLine >= location.startLine,
      );
      if (hit) ids.push(lessonId);
    }
    return ids;
  }

  countByStaleness(): Record<AnchorState, number> {
    const counts = Object.fromEntries(anchorStates.map((state) => [state, 0])) as Record<
      AnchorState,
      number
    >;
    for (const anchors of this.#byLesson.values()) {
      const staleness = memoryStaleness(anchors);
      if (staleness !== null) counts[staleness] += 1;
    }
    return counts;
  }
}
