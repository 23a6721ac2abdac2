import { describe, expect, it } from 'vitest';
import { FileTree } from './file-tree.js';
import type { FsEntry } from './types.js';

function file(layer = 0, extra: Partial<FsEntry> = {}): FsEntry {
  return { type: 'file', mode: 0o644, size: 1, uid: 0, gid: 0, mtime: 0, layer, ...extra };
}
function dir(layer = 0): FsEntry {
  return { type: 'dir', mode: 0o755, size: 0, uid: 0, gid: 0, mtime: 0, layer };
}
function link(target: string, layer = 0): FsEntry {
  return {
    type: 'symlink',
    mode: 0o777,
    size: 0,
    uid: 0,
    gid: 0,
    mtime: 0,
    layer,
    linkname: target,
  };
}

describe('FileTree', () => {
  it('should create missing parents and count entries', () => {
    const fs = new FileTree();
    fs.set('usr/lib/libc.so', file());
    expect(fs.size).toBe(3);
    expect(fs.lstat('/usr/lib')?.type).toBe('dir');
  });

  it('should follow relative and absolute symlinks inside the root only', () => {
    const fs = new FileTree();
    fs.set('/usr/lib64/libssl.so.3', file());
    fs.set('/lib64', link('usr/lib64'));
    fs.set('/etc/os-release', link('../usr/lib/os-release'));
    fs.set('/usr/lib/os-release', file());
    fs.set('/escape', link('../../../../usr/lib64'));
    expect(fs.stat('/lib64/libssl.so.3')?.type).toBe('file');
    expect(fs.resolve('/lib64/libssl.so.3')).toBe('/usr/lib64/libssl.so.3');
    expect(fs.lstat('/etc/os-release')?.type).toBe('symlink');
    expect(fs.stat('/etc/os-release')?.type).toBe('file');
    expect(fs.resolve('/escape/libssl.so.3')).toBe('/usr/lib64/libssl.so.3');
  });

  it('should write through an intermediate symlink like layer extraction does', () => {
    const fs = new FileTree();
    fs.set('/usr/lib', dir());
    fs.set('/lib', link('usr/lib'));
    const canonical = fs.set('/lib/x.so', file(1));
    expect(canonical).toBe('/usr/lib/x.so');
    expect(fs.lstat('/lib')?.type).toBe('symlink');
  });

  it('should keep children when a directory is written over a directory', () => {
    const fs = new FileTree();
    fs.set('/etc/passwd', file());
    fs.set('/etc', { ...dir(1), mode: 0o700 });
    expect(fs.lstat('/etc/passwd')).toBeDefined();
    expect(fs.lstat('/etc')?.mode).toBe(0o700);
  });

  it('should remove a subtree and clear only lower-layer children for opaque directories', () => {
    const fs = new FileTree();
    fs.set('/a/b/c', file(0));
    fs.set('/a/d', file(1));
    fs.clearLowerChildren('/a', 1);
    expect(fs.lstat('/a/b/c')).toBeUndefined();
    expect(fs.lstat('/a/d')).toBeDefined();
    fs.remove('/a');
    expect(fs.size).toBe(0);
  });

  it('should report a symlink loop as an image error', () => {
    const fs = new FileTree();
    fs.set('/a', link('b'));
    fs.set('/b', link('a'));
    expect(() => fs.stat('/a')).toThrow(/too many levels/);
  });

  it('should walk entries in sorted order', () => {
    const fs = new FileTree();
    fs.set('/b', file());
    fs.set('/a/x', file());
    expect([...fs.walk('/')].map(([p]) => p)).toEqual(['/a', '/a/x', '/b']);
  });
});
