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
}

export interface Lesson {
  id: string;
  title: string;
  content: string;
  tags: string[];
  severity: LessonSeverity;
  repository: string | null;
  agent: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LessonFilters {
  /** A lesson matches when it has every one of these tags. */
  tags?: readonly string[];
  severity?: LessonSeverity;
  repository?: string;
  agent?: string;
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
  searchLessons(request: LessonSearchRequest): Promise<LessonHit[]>;
}
