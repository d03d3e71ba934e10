import { readdirSync, readFileSync } from 'node:fs';
import { fetchJson, jsonRequest, type RunningServer } from '../test/helpers.ts';

/**
 * How hard the reliability suite pushes. CI runs the bounded default; `NELLIE_RELIABILITY=full`
 * runs longer soaks and more crash points for a release check.
 */
export const full = process.env.NELLIE_RELIABILITY === 'full';

export function scaled(bounded: number, fullRun: number): number {
  return full ? fullRun : bounded;
}

/** A lesson whose write was acknowledged (HTTP 201): it must survive any crash. */
export interface AcknowledgedLesson {
  id: string;
  title: string;
  content: string;
}

/**
 * Writes lessons one after another until stopped or the server goes away, recording every
 * acknowledged write. Failed or cut-off requests are not acknowledged and may or may not land.
 */
export function writeLessonsUntilStopped(
  server: RunningServer,
  prefix: string,
): { acknowledged: AcknowledgedLesson[]; stop(): Promise<void> } {
  const acknowledged: AcknowledgedLesson[] = [];
  let stopped = false;
  const loop = (async () => {
    for (let index = 0; !stopped; index += 1) {
      const title = `${prefix} lesson ${index}`;
      const content = `Reliability content ${prefix}-${index}: ${'x'.repeat(index % 200)}`;
      try {
        const response = await fetchJson(
          `${server.url}/api/v1/lessons`,
          jsonRequest('POST', { title, content, tags: ['reliability'] }),
        );
        if (response.status === 201) {
          // What the server acknowledged is what must read back.
          const stored = response.body as AcknowledgedLesson;
          acknowledged.push({ id: stored.id, title: stored.title, content: stored.content });
        }
      } catch {
        return; // The server is gone.
      }
    }
  })();
  return {
    acknowledged,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * Checks that every acknowledged lesson reads back exactly; returns a line for each that did
 * not (its title and what the server answered).
 */
export async function missingLessons(
  server: RunningServer,
  lessons: readonly AcknowledgedLesson[],
): Promise<string[]> {
  const missing: string[] = [];
  for (const lesson of lessons) {
    const response = await fetchJson(`${server.url}/api/v1/lessons/${lesson.id}`);
    const body = response.body as { title?: string; content?: string };
    if (response.status !== 200 || body.title !== lesson.title || body.content !== lesson.content) {
      missing.push(
        `${lesson.title}: HTTP ${response.status} ${JSON.stringify(body).slice(0, 200)}`,
      );
    }
  }
  return missing;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resident memory of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`No VmRSS for process ${pid}.`);
  return Number(match[1]) / 1024;
}

/** Open file descriptors of a process (Linux /proc). */
export function openFileDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** A figure line the suite prints, so CI logs carry the measurements. */
export function report(name: string, figures: Record<string, number | string>): void {
  const text = Object.entries(figures)
    .map(([key, value]) => `${key}=${typeof value === 'number' ? Number(value.toFixed(2)) : value}`)
    .join(' ');
  process.stdout.write(`[reliability] ${name}: ${text}\n`);
}
