import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.js';
import { assertBuildArgs, assertTag, repositoryFromUrl, repositoryPath } from './rules.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AppError ? err.code : String(err);
  }
}

describe('assertTag', () => {
  it.each(['1.0', 'v1.0.0-rc_1', '_x', 'A'.repeat(32), 'latest'])('should accept %j', (tag) => {
    expect(assertTag(tag)).toBe(tag);
  });

  it.each([
    ['', 'build.tag_empty'],
    ['1'.repeat(33), 'build.tag_too_long'],
    ['.x', 'build.tag_start'],
    ['-x', 'build.tag_start'],
    ['a/b', 'build.tag_characters'],
    ['a:b', 'build.tag_characters'],
    ['ä', 'build.tag_characters'],
  ])('should refuse %j with %s', (tag, code) => {
    expect(codeOf(() => assertTag(tag))).toBe(code);
  });
});

describe('repositoryPath', () => {
  it.each([
    ['Dockerfile', 'Dockerfile'],
    ['dockerfiles/app1/', 'dockerfiles/app1'],
    ['./a//b/./c', 'a/b/c'],
    ['Dockerfile-for-RHOSP13', 'Dockerfile-for-RHOSP13'],
  ])('should normalise the Dockerfile %j to %j', (value, expected) => {
    expect(repositoryPath(value, 'dockerfile')).toBe(expected);
  });

  it('should take the root as the context', () => {
    expect(repositoryPath('.', 'contextDir')).toBe('.');
    expect(repositoryPath('./', 'contextDir')).toBe('.');
  });

  it.each(['/etc/passwd', '../x', 'a/../../x', 'a\\b', '.', 'a\0b'])(
    'should refuse the Dockerfile %j',
    (value) => {
      expect(codeOf(() => repositoryPath(value, 'dockerfile'))).toBe('build.path_invalid');
    },
  );
});

describe('assertBuildArgs', () => {
  it('should accept ARG names and refuse others', () => {
    expect(() => assertBuildArgs({ VERSION: '1', _x2: '' })).not.toThrow();
    expect(codeOf(() => assertBuildArgs({ '1X': '' }))).toBe('build.arg_invalid');
    expect(codeOf(() => assertBuildArgs({ 'A=B': '' }))).toBe('build.arg_invalid');
  });
});

describe('repositoryFromUrl', () => {
  it.each([
    ['https://git.example.com/acme/Cinder_Driver.git', 'cinder_driver'],
    ['git@github.com:acme/cinder-driver.git', 'cinder-driver'],
    ['ssh://git@host:2222/srv/repos/app.git/', 'app'],
    ['file:///srv/git/My..Weird--Repo.git', 'my-weird-repo'],
    ['https://host/acme/...git', 'app'],
  ])('should name %s %s', (url, name) => {
    expect(repositoryFromUrl(url)).toBe(name);
  });
});
