import { describe, expect, it } from 'vitest';
import { RootPolicy, isWithin } from './root-policy.ts';

const hint = 'Allow it with --allow-root.';

/** `null` configures no allow-list. */
function policy(allowedRoots: string[] | null = ['/srv/git', '/home/ann/work']) {
  return new RootPolicy({
    allowedRoots: allowedRoots ?? undefined,
    protectedPaths: ['/home/ann/.local/share/nellie', '/srv/git/nellie-data'],
    homeDirectories: ['/home/ann', '/var/lib/svc'],
    hint,
  });
}

function refusal(root: string, registered = false, target = policy()) {
  return target.refusal(root, { registered });
}

describe('isWithin', () => {
  it('accepts the directory itself and paths below it, never siblings with a common prefix', () => {
    expect(isWithin('/srv/git', '/srv/git')).toBe(true);
    expect(isWithin('/srv/git', '/srv/git/api/src')).toBe(true);
    expect(isWithin('/srv/git', '/srv/gitlab')).toBe(false);
    expect(isWithin('/srv/git', '/srv')).toBe(false);
    expect(isWithin('/', '/etc')).toBe(true);
  });
});

describe('RootPolicy', () => {
  it('allows directories inside the allowed roots', () => {
    expect(refusal('/srv/git')).toBeNull();
    expect(refusal('/srv/git/api')).toBeNull();
    expect(refusal('/home/ann/work/site')).toBeNull();
  });

  it('refuses directories outside the allowed roots with a typed error naming the setting', () => {
    const error = refusal('/opt/other');
    expect(error?.code).toBe('PATH_NOT_ALLOWED');
    expect(error?.message).toContain('/opt/other');
    expect(error?.message).toContain('outside the directories this server may index');
    expect(error?.message).toContain(hint);
    expect(refusal('/srv/gitlab')?.code).toBe('PATH_NOT_ALLOWED');
  });

  it('lets repositories already in the index be re-indexed outside the allowed roots', () => {
    expect(refusal('/opt/other', true)).toBeNull();
  });

  it('refuses system directories, what is inside them and what contains them, even when registered', () => {
    for (const root of [
      '/etc',
      '/etc/ssl',
      '/proc/self',
      '/proc',
      '/sys/kernel',
      '/dev',
      '/boot',
      '/',
    ]) {
      const error = refusal(root, true);
      expect(error?.code, root).toBe('PATH_NOT_ALLOWED');
      expect(error?.message, root).toContain('system directory');
    }
  });

  it('refuses broad directories as a whole, but not repositories inside them', () => {
    for (const root of ['/var', '/root', '/home', '/usr', '/tmp', '/var/lib']) {
      expect(refusal(root, true)?.message, root).toContain('too broad');
    }
    expect(refusal('/var/www/site', false, policy(['/var/www']))).toBeNull();
  });

  it('refuses the data directory and anything inside it, even when registered', () => {
    for (const root of ['/home/ann/.local/share/nellie', '/home/ann/.local/share/nellie/models']) {
      const error = refusal(root, true);
      expect(error?.code).toBe('PATH_NOT_ALLOWED');
      expect(error?.message).toContain("Nellie's data directory");
    }
  });

  it('refuses a root containing the data directory unless it is configured exactly', () => {
    const inside = refusal('/home/ann/.local', false, policy(['/home/ann']));
    expect(inside?.message).toContain("contains Nellie's data directory");
    expect(refusal('/srv/git', false)).toBeNull();
    expect(refusal('/home/ann', false, policy(['/home/ann']))).toBeNull();
  });

  it('refuses a home directory as a whole unless it is configured exactly', () => {
    const open = policy(null);
    expect(refusal('/home/bob', false, open)?.message).toContain('home directory');
    expect(refusal('/var/lib/svc', false, open)?.message).toContain('home directory');
    expect(refusal('/home/bob/project', false, open)).toBeNull();
    expect(refusal('/home/bob', false, policy(['/home/bob']))).toBeNull();
  });

  it('allows any other directory when no allow-list is configured', () => {
    expect(refusal('/opt/other', false, policy(null))).toBeNull();
  });

  it('rejects configured roots that may never be indexed', () => {
    for (const root of ['/', '/etc', '/proc/self', '/var', '/home/ann/.local/share/nellie/x']) {
      expect(() => policy([root]), root).toThrow(/Cannot allow/);
    }
  });

  it('marks the protected paths and everything below them', () => {
    const target = policy();
    expect(target.isProtected('/srv/git/nellie-data')).toBe(true);
    expect(target.isProtected('/srv/git/nellie-data/config.json')).toBe(true);
    expect(target.isProtected('/srv/git/nellie-database')).toBe(false);
  });
});
