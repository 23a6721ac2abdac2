/** Where the CLI keeps its own vulnerability index (read at start, so kept free of imports). */
import { join } from 'node:path';

/**
 * The CLI's default index location: `$XDG_CACHE_HOME/hallmark/vulndb.sqlite`, else
 * `~/.cache/hallmark/vulndb.sqlite` (the caller passes the environment and home directory).
 */
export function defaultVulndbPath(
  env: { XDG_CACHE_HOME?: string | undefined },
  home: string,
): string {
  const cache =
    env.XDG_CACHE_HOME && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(cache, 'hallmark', 'vulndb.sqlite');
}
