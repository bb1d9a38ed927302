import { describe, expect, it } from 'vitest';
import { MAX_REPOSITORY_NAME_LENGTH, isValidRepositoryName, isValidTag, parseReference } from './names.ts';

describe('isValidRepositoryName', () => {
  it.each(['app', 'team/app', 'a/b/c/d', 'my-app', 'my--app', 'my_app', 'my__app', 'my.app', 'a0/1b', 'registry.example/x'])(
    'accepts %s',
    (name) => {
      expect(isValidRepositoryName(name)).toBe(true);
    },
  );

  it.each([
    ['path traversal', '../etc/passwd'],
    ['a dot-dot component', 'team/../app'],
    ['a dot component', 'team/./app'],
    ['percent-encoded dot', 'team/%2e%2e/app'],
    ['uppercase', 'Team/app'],
    ['empty', ''],
    ['empty component', 'team//app'],
    ['leading slash', '/team/app'],
    ['trailing slash', 'team/app/'],
    ['triple underscore', 'my___app'],
    ['double dot separator', 'my..app'],
    ['leading separator', '-app'],
    ['trailing separator', 'app-'],
    ['a colon', 'team/app:latest'],
    ['a backslash', 'team\\app'],
    ['whitespace', 'team/app '],
    ['a newline', 'team/app\n'],
    ['non-ascii', 'tëam/app'],
  ])('rejects %s', (_label, name) => {
    expect(isValidRepositoryName(name)).toBe(false);
  });

  it('accepts a 255-character name and rejects 256 characters', () => {
    const name255 = `${'a'.repeat(127)}/${'b'.repeat(127)}`;
    expect(name255.length).toBe(MAX_REPOSITORY_NAME_LENGTH);
    expect(isValidRepositoryName(name255)).toBe(true);
    expect(isValidRepositoryName(`${name255}c`)).toBe(false);
  });
});

describe('isValidTag', () => {
  it.each(['latest', 'v1.2.3', '_private', 'A-Z_a.z', '1', 'x'.repeat(128)])('accepts %s', (tag) => {
    expect(isValidTag(tag)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['leading dot', '.hidden'],
    ['leading dash', '-v1'],
    ['129 characters', 'x'.repeat(129)],
    ['a slash', 'v1/evil'],
    ['path traversal', '..'],
    ['a colon', 'sha256:abc'],
    ['a plus', 'v1+build'],
    ['percent', '%2e'],
    ['trailing newline', 'latest\n'],
  ])('rejects %s', (_label, tag) => {
    expect(isValidTag(tag)).toBe(false);
  });
});

describe('parseReference', () => {
  it('reads a tag', () => {
    expect(parseReference('v1.0')).toEqual({ kind: 'tag', tag: 'v1.0' });
  });

  it('reads a digest', () => {
    const digest = `sha256:${'f'.repeat(64)}`;
    expect(parseReference(digest)).toEqual({ kind: 'digest', digest: { algorithm: 'sha256', hex: 'f'.repeat(64), digest } });
  });

  it.each(['', 'sha256:short', `md5:${'a'.repeat(32)}`, '../x', `sha256:${'F'.repeat(64)}`])('rejects %j', (ref) => {
    expect(parseReference(ref)).toBeUndefined();
  });
});
