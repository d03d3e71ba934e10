/**
 * Migration 2: leases, so that one server at a time holds a piece of work shared by several
 * servers (watching a repository), and another takes it over when the holder stops renewing.
 */
export function leasesMigration(s: string): string {
  return `
    CREATE TABLE ${s}.leases (
      name text PRIMARY KEY,
      holder text NOT NULL,
      expires_at timestamptz NOT NULL
    );
  `;
}
