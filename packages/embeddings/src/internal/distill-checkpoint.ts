/**
 * Distillation state on disk: the teacher's pooled rows of the tokens done so far (`rows.f32`,
 * appended batch by batch) and `state.json` saying how many rows are complete and for which
 * teacher.
 */
import { open, readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  float32FromLittleEndian,
  littleEndianBytes,
  writeJsonAtomically,
} from './static-model-files.ts';

export const distillCheckpointDir = '.distill-checkpoint';

export interface DistillCheckpointState {
  teacherSha256: string;
  dtype: string;
  rows: number;
  hiddenSize: number;
  done: number;
}

export interface DistillCheckpoint {
  state: DistillCheckpointState;
  /** The rows done so far, `state.done × hiddenSize` values. */
  rows: Float32Array;
  append(rows: Float32Array, done: number): Promise<void>;
}

export async function openDistillCheckpoint(
  dir: string,
  expected: DistillCheckpointState,
): Promise<DistillCheckpoint> {
  const statePath = join(dir, 'state.json');
  const rowsPath = join(dir, 'rows.f32');
  const rowBytes = expected.hiddenSize * 4;
  let state: DistillCheckpointState = { ...expected, done: 0 };
  let rows = new Float32Array(0);
  try {
    const saved = JSON.parse(await readFile(statePath, 'utf8')) as Partial<DistillCheckpointState>;
    const same =
      saved.teacherSha256 === expected.teacherSha256 &&
      saved.dtype === expected.dtype &&
      saved.rows === expected.rows &&
      saved.hiddenSize === expected.hiddenSize &&
      typeof saved.done === 'number' &&
      saved.done >= 0 &&
      saved.done <= expected.rows;
    if (same) {
      const buffer = await readFile(rowsPath);
      const done = Math.min(saved.done!, Math.floor(buffer.length / rowBytes));
      rows = Float32Array.from(float32FromLittleEndian(buffer.subarray(0, done * rowBytes)));
      state = { ...expected, done };
    }
  } catch {
    // No checkpoint (or an unreadable one): start from the first token.
  }
  await mkdir(dir, { recursive: true });
  // Drop whatever an interrupted append left beyond the last recorded batch.
  const handle = await open(rowsPath, state.done === 0 ? 'w' : 'r+');
  await handle.truncate(state.done * rowBytes);
  await handle.close();
  await writeJsonAtomically(statePath, state);
  return {
    state,
    rows,
    async append(batch, done) {
      const file = await open(rowsPath, 'a');
      try {
        await file.write(littleEndianBytes(batch));
      } finally {
        await file.close();
      }
      state = { ...state, done };
      await writeJsonAtomically(statePath, state);
    },
  };
}
