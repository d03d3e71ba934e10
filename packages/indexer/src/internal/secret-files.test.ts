import { describe, expect, it } from 'vitest';
import { SecretFileMatcher } from './secret-files.ts';

const matcher = new SecretFileMatcher();

describe('SecretFileMatcher', () => {
  it('matches environment files but not their templates', () => {
    for (const path of ['.env', 'app/.env', '.env.local', 'deploy/.env.production', '.envrc']) {
      expect(matcher.matches(path, false), path).toBe(true);
    }
    for (const path of [
      '.env.example',
      'app/.env.sample',
      '.env.template',
      'env.ts',
      'src/environment.ts',
    ]) {
      expect(matcher.matches(path, false), path).toBe(false);
    }
  });

  it('matches private keys and key stores, not public keys', () => {
    for (const path of [
      'certs/server.pem',
      'tls.key',
      'client.p12',
      'client.pfx',
      'release.keystore',
      'trust.jks',
      'id_rsa',
      'keys/id_ed25519',
      'deploy_rsa',
    ]) {
      expect(matcher.matches(path, false), path).toBe(true);
    }
    for (const path of ['id_rsa.pub', 'keys/deploy_rsa.pub', 'src/keyboard.ts', 'monkey.py']) {
      expect(matcher.matches(path, false), path).toBe(false);
    }
  });

  it('matches credential files of tools and secrets files', () => {
    for (const path of [
      '.npmrc',
      '.pypirc',
      '.netrc',
      '.git-credentials',
      'config/credentials.json',
      '.htpasswd',
      'config/secrets.yml',
      'secrets.json',
      'infra/terraform.tfstate',
    ]) {
      expect(matcher.matches(path, false), path).toBe(true);
    }
    for (const path of ['src/credentials-form.tsx', 'docs/secrets-management.md', 'secret.ts']) {
      expect(matcher.matches(path, false), path).toBe(false);
    }
  });

  it('matches credential directories and everything below them', () => {
    expect(matcher.matches('.ssh', true)).toBe(true);
    expect(matcher.matches('home/.aws', true)).toBe(true);
    expect(matcher.matches('.ssh/config', false)).toBe(true);
    expect(matcher.matches('.aws/config', false)).toBe(true);
    expect(matcher.matches('ssh', true)).toBe(false);
    expect(matcher.matches('src/.ssh.ts', false)).toBe(false);
  });
});

describe('SecretFileMatcher on directories', () => {
  it('applies file names to files only, so code directories named like them stay indexed', () => {
    expect(matcher.matches('src/credentials', true)).toBe(false);
    expect(matcher.matches('src/credentials/form.ts', false)).toBe(false);
    expect(matcher.matches('config/secrets.d', true)).toBe(false);
    expect(matcher.matches('deploy/.ssh/known_hosts', false)).toBe(true);
  });
});
