/** Resolving any image reference to a `ResolvedImage`. */
import { resolveDockerArchive } from './docker-archive.js';
import { resolveOciLayout } from './oci-layout.js';
import { parseImageReference } from './reference.js';
import type { ResolvedImage } from './types.js';

/** Options for resolving an image. */
export interface ResolveOptions {
  platform?: { os: string; architecture: string; variant?: string };
  creds?: { username: string; password: string };
  tlsVerify?: boolean;
  tempDir: string;
  signal?: AbortSignal;
}

/** Opens `ref` through its transport. @throws ImageReadError, AppError image.reference_invalid */
export async function resolveImage(ref: string, opts: ResolveOptions): Promise<ResolvedImage> {
  const parsed = parseImageReference(ref);
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  switch (parsed.transport) {
    case 'oci':
      return resolveOciLayout(ref, parsed.dir, parsed.tag, platform);
    case 'docker-archive':
      return resolveDockerArchive(ref, parsed.file, parsed.ref);
    case 'docker': {
      // The registry client (undici and its TLS) is loaded for registry references only: a check
      // of a local layout or archive does not carry it.
      const { resolveRegistryImage } = await import('./registry-image.js');
      return resolveRegistryImage(ref, parsed, {
        platform,
        tlsVerify: opts.tlsVerify ?? true,
        ...(opts.creds ? { creds: opts.creds } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    }
  }
}
