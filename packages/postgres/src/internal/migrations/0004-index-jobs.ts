/**
 * Migration 4: index jobs, queued by any server and run by the one that claims them (`FOR UPDATE
 * SKIP LOCKED`) under a lease it renews; a job whose holder stopped renewing is claimed again.
 * At most one job per repository root is queued or running, so duplicate requests coalesce.
 */
export function indexJobsMigration(s: string): string {
  return `
    CREATE TABLE ${s}.index_jobs (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id text NOT NULL UNIQUE,
      root_path text NOT NULL,
      repository text NOT NULL,
      mode text NOT NULL CHECK (mode IN ('incremental', 'full')),
      state text NOT NULL
        CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
      claimed_by text,
      lease_expires_at timestamptz,
      attempts integer NOT NULL DEFAULT 0,
      cancel_requested boolean NOT NULL DEFAULT false,
      progress jsonb NOT NULL,
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX index_jobs_active_root ON ${s}.index_jobs (root_path)
      WHERE state IN ('queued', 'running');
    CREATE INDEX index_jobs_claimable ON ${s}.index_jobs (seq)
      WHERE state IN ('queued', 'running');
  `;
}
