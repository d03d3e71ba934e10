import { afterEach, describe, expect, it } from 'vitest';
import { addTokenScores } from './late-interaction.ts';
import { lateInteraction } from './settings.ts';

const defaults = { ...lateInteraction };
afterEach(() => Object.assign(lateInteraction, defaults));

const candidates = () => [
  { row: { content: 'a' }, score: 1.5, vectorContribution: 1 },
  { row: { content: 'b' }, score: 1.2, vectorContribution: 0.2 },
  { row: { content: 'c' }, score: 1.0 },
  { row: { content: 'd' }, score: 0.1, vectorContribution: 0.1 },
];
const byText: Record<string, number> = { a: 0.2, b: 0.6, c: 0.4, d: 0.9 };
const scores = (texts: readonly string[]) => texts.map((text) => byText[text]!);

describe('addTokenScores', () => {
  it('adds the min-max normalised token score of the best candidates with its share', () => {
    Object.assign(lateInteraction, { candidates: 3, share: 0.25, replaceVector: false });
    const fused = candidates();
    addTokenScores(fused, scores, 1.2);
    // a, b, c are the best three: token scores 0.2, 0.6, 0.4 → 0, 1, 0.5; d is not re-scored.
    expect(fused.map((candidate) => candidate.score)).toEqual([1.5, 1.7, 1.25, 0.1]);
  });

  it('replaces the vector list’s contribution when asked to', () => {
    Object.assign(lateInteraction, { candidates: 3, replaceVector: true });
    const fused = candidates();
    addTokenScores(fused, scores, 1.2);
    expect(fused.map((candidate) => candidate.score)).toEqual([0.5, 2.2, 1.6, 0.1]);
  });

  it('leaves candidates the scorer cannot score as they were', () => {
    Object.assign(lateInteraction, { candidates: 4, share: 0.5, replaceVector: false });
    const fused = candidates();
    addTokenScores(
      fused,
      (texts) => texts.map((text) => (text === 'b' ? Number.NaN : byText[text]!)),
      1,
    );
    expect(fused.map((candidate) => candidate.score)).toEqual([1.5, 1.2, 1 + 0.2 / 0.7, 1.1]);
  });

  it('does nothing when off', () => {
    Object.assign(lateInteraction, { candidates: 0 });
    const fused = candidates();
    addTokenScores(fused, scores, 1);
    expect(fused).toEqual(candidates());
  });
});
