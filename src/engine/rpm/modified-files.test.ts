import { describe, expect, it } from 'vitest';
import {
  dirEntry,
  fileEntry,
  layerChanges,
  linkEntry,
  makeTree,
  rpmFile,
  rpmOk,
  rpmPackage,
} from '../policy/test-context.js';
import { findModifiedFiles } from './modified-files.js';
import { RPMFILE } from './verify.js';

const OPTS = { ignoredPaths: ['/etc/hostname', '/var/cache/'] };

const bash = rpmPackage('bash', [
  rpmFile('/usr/bin/bash', 'bash', { mode: 0o100755 }),
  rpmFile('/etc/bashrc', 'rc', { flags: RPMFILE.config }),
  rpmFile('/usr/share/doc/bash/README', 'doc', { flags: RPMFILE.doc }),
  rpmFile('/usr/bin', '', { mode: 0o40755, digest: '' }),
  rpmFile('/var/cache/bash/x', 'x'),
]);
const sudo = rpmPackage('sudo', [rpmFile('/usr/bin/sudo', 'sudo', { mode: 0o104111 })]);

describe('findModifiedFiles', () => {
  it('should find a package file a later layer rewrote while the package stayed the same', () => {
    const fs = makeTree({ '/usr/bin/bash': fileEntry('evil', { mode: 0o755, layer: 2 }) });
    const db = rpmOk([bash]);
    const layers = [layerChanges(), layerChanges(['/licenses/L']), layerChanges(['/usr/bin/bash'])];
    expect(findModifiedFiles(layers, [db, db, db], fs, OPTS)).toEqual([
      { path: '/usr/bin/bash', package: 'bash-1.0-1.el9.x86_64', layer: 2 },
    ]);
  });

  it('should allow rewrites by a layer that updated or removed the package', () => {
    const fs = makeTree({ '/usr/bin/bash': fileEntry('bash2', { mode: 0o755, layer: 1 }) });
    const updated = rpmPackage('bash', bash.files, { version: '2.0' });
    const layers = [layerChanges(), layerChanges(['/usr/bin/bash'])];
    expect(findModifiedFiles(layers, [rpmOk([bash]), rpmOk([updated])], fs, OPTS)).toEqual([]);
    expect(findModifiedFiles(layers, [rpmOk([bash]), rpmOk([])], fs, OPTS)).toEqual([]);
  });

  it('should not hold the layer that installed a package against it', () => {
    const fs = makeTree({ '/usr/bin/bash': fileEntry('bash', { mode: 0o755, layer: 1 }) });
    const layers = [layerChanges(), layerChanges(['/usr/bin/bash'])];
    expect(findModifiedFiles(layers, [rpmOk([]), rpmOk([bash])], fs, OPTS)).toEqual([]);
  });

  it('should skip config, doc, directory and ignored files', () => {
    const fs = makeTree({});
    const db = rpmOk([bash]);
    const layers = [
      layerChanges(),
      layerChanges(['/etc/bashrc', '/usr/share/doc/bash/README', '/usr/bin', '/var/cache/bash/x']),
    ];
    expect(findModifiedFiles(layers, [db, db], fs, OPTS)).toEqual([]);
  });

  it('should compare canonical paths when a package names a file through a symlinked directory', () => {
    const fs = makeTree({
      '/usr': dirEntry(),
      '/usr/lib64': dirEntry(),
      '/lib64': linkEntry('usr/lib64'),
      '/usr/lib64/libc.so.6': fileEntry('patched', { layer: 1 }),
    });
    const glibc = rpmPackage('glibc', [rpmFile('/lib64/libc.so.6', 'libc')]);
    const db = rpmOk([glibc]);
    const layers = [layerChanges(), layerChanges(['/usr/lib64/libc.so.6'])];
    expect(findModifiedFiles(layers, [db, db], fs, OPTS)).toEqual([
      { path: '/lib64/libc.so.6', package: 'glibc-1.0-1.el9.x86_64', layer: 1 },
    ]);
  });

  it('should allow dropping only the setuid bit of an otherwise intact file', () => {
    const db = rpmOk([sudo]);
    const layers = [layerChanges(), layerChanges(['/usr/bin/sudo'])];
    const dropped = makeTree({ '/usr/bin/sudo': fileEntry('sudo', { mode: 0o111, layer: 1 }) });
    expect(findModifiedFiles(layers, [db, db], dropped, OPTS)).toEqual([]);
    const widened = makeTree({ '/usr/bin/sudo': fileEntry('sudo', { mode: 0o4755, layer: 1 }) });
    expect(findModifiedFiles(layers, [db, db], widened, OPTS)).toHaveLength(1);
    const changed = makeTree({ '/usr/bin/sudo': fileEntry('sudo2', { mode: 0o111, layer: 1 }) });
    expect(findModifiedFiles(layers, [db, db], changed, OPTS)).toHaveLength(1);
  });

  it('should skip layers whose rpm state is unknown', () => {
    const fs = makeTree({});
    const layers = [layerChanges(), layerChanges(['/usr/bin/bash'])];
    const missing = { status: 'missing' as const, searched: [] };
    expect(findModifiedFiles(layers, [missing, rpmOk([bash])], fs, OPTS)).toEqual([]);
  });
});
