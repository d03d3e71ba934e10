import type { Anchor, AnchorInput, AnchorState, AnchoredLesson } from './anchors.ts';
import type { ScoreBreakdown } from './search.ts';

export const lessonSeverities = ['critical', 'warning', 'info'] as const;
export type LessonSeverity = (typeof lessonSeverities)[number];

export interface LessonInput {
  title: string;
  content: string;
  tags?: readonly string[];
  /** Defaults to `info`. */
  severity?: LessonSeverity;
  /** Repository the lesson is about (name or path), if any. */
  repository?: string | null;
  /** Agent or person who recorded it, if known. */
  agent?: string | null;
  /**
   * Code the lesson is about. On update, replaces the lesson's explicit anchors (its automatic
   * ones are found again).
   */
  anchors?: readonly AnchorInput[];
  /**
   * Also anchor the lesson to the indexed files and symbols its title and content name, when each
   * resolves to exactly one place (default true). Ambiguous names get no anchor.
   */
  autoAnchor?: boolean;
}

export interface Lesson {
  id: string;
  title: string;
  content: string;
  tags: string[];
  severity: LessonSeverity;
  repository: string | null;
  agent: string | null;
  /** The code the lesson is about, with how it changed since. */
  anchors: Anchor[];
  /** The worst state of its anchors; null for a lesson without anchors. */
  staleness: AnchorState | null;
  createdAt: string;
  updatedAt: string;
}

export interface LessonFilters {
  /** A lesson matches when it has every one of these tags. */
  tags?: readonly string[];
  severity?: LessonSeverity;
  repository?: string;
  agent?: string;
  /** Only lessons whose staleness is one of these (`current`…`gone`). */
  staleness?: readonly AnchorState[];
}

export interface LessonSearchRequest extends LessonFilters {
  query: string;
  queryVector?: Float32Array;
  limit?: number;
}

export interface LessonHit {
  lesson: Lesson;
  score: number;
  scores: ScoreBreakdown;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export interface LessonStore {
  addLesson(input: LessonInput): Promise<Lesson>;
  /** Throws `NOT_FOUND` for an unknown id. */
  updateLesson(id: string, patch: Partial<LessonInput>): Promise<Lesson>;
  getLesson(id: string): Promise<Lesson | null>;
  /** Newest first. */
  listLessons(request?: LessonFilters & { limit?: number; offset?: number }): Promise<Page<Lesson>>;
  /** Returns false when no such lesson existed. */
  deleteLesson(id: string): Promise<boolean>;
  /** Ranks stale lessons (anchored code changed or gone) below current ones. */
  searchLessons(request: LessonSearchRequest): Promise<LessonHit[]>;
  /**
   * Confirms a lesson is still true: each anchor takes the code as it is now (state `current`);
   * anchors whose code is gone are dropped. Throws `NOT_FOUND` for an unknown id.
   */
  confirmLesson(id: string): Promise<Lesson>;
  /** Lessons anchored to code overlapping each location, in the same order. */
  lessonsAnchoredAt(locations: readonly CodeLocation[]): Promise<AnchoredLesson[][]>;
  /** How many anchored lessons are in each state. */
  countLessonsByStaleness(): Promise<Record<AnchorState, number>>;
}

/** A line range of an indexed file. */
export interface CodeLocation {
  /** Repository name (as indexed). */
  repository: string;
  path: string;
  startLine: number;
  endLine: number;
}

/** What indexing calls after files were written or deleted. */
export interface AnchorRefresher {
  /**
   * Compares the anchors on these paths (and anchors whose symbol may have moved into them) with
   * the code indexed now, and records their states. Returns how many anchors changed state.
   */
  refreshAnchors(repositoryId: number, paths: readonly string[]): Promise<number>;
}
