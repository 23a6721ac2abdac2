/**
 * What the build job needs from the outside world, as interfaces: fetching the source from git
 * and building an image from it. `source.ts` and `buildah.ts` implement them with the real `git`
 * and `buildah`; another builder (BuildKit, a Kubernetes pod) implements `Builder` alone.
 */

/** Which git URLs the operator allows (`builds.allowLocalGit`, `builds.allowPrivateAddresses`). */
export interface GitPolicy {
  /** `file://` URLs and local paths (off by default). */
  readonly allowLocal: boolean;
  /** Hosts that resolve to private, loopback or link-local addresses (off by default). */
  readonly allowPrivateAddresses: boolean;
}

/** A git URL that passed validation. */
export interface ParsedGitUrl {
  readonly kind: 'https' | 'http' | 'ssh' | 'file';
  /**
   * The URL as git is given it. An scp-like `git@host:path` stays as written: its path is
   * relative to the login's home, which `ssh://` cannot say without `~`, and git hosts read the
   * two differently.
   */
  readonly url: string;
  /** The host (absent for `file`). */
  readonly host?: string;
  readonly port?: number;
}

/** Where to clone from and how to authenticate. */
export interface GitSource {
  readonly url: ParsedGitUrl;
  /** Branch, tag or commit id; the default branch when absent. */
  readonly ref?: string;
  /** The deploy key (OpenSSH private key text) for `ssh` URLs. */
  readonly sshPrivateKey?: string;
  /**
   * The ssh server's host key recorded on first use (`known_hosts` line); absent on first use,
   * when the key the server shows is recorded and returned.
   */
  readonly knownHostKey?: string;
  /** Credentials for `https` URLs (a user and a token). */
  readonly https?: { readonly user: string; readonly token: string };
}

/** What one clone produced. */
export interface ClonedSource {
  /** The full commit id checked out. */
  readonly commit: string;
  /** The host key seen (`known_hosts` line) for `ssh` URLs. */
  readonly hostKey?: string;
}

/** Limits and plumbing of one step of a build. */
export interface StepOptions {
  /** Receives the step's output as it comes, already stripped of credentials. */
  readonly log: (text: string) => void;
  /** Aborted on cancel or when the build's time runs out: the step kills its processes. */
  readonly signal: AbortSignal;
}

/** One build of an image from a context directory, pushed to a registry. */
export interface BuildRequest {
  /** The checked-out source; the context is `contextDir` inside it. */
  readonly sourceDir: string;
  /** Relative to `sourceDir` (e.g. `.` or `dockerfiles/app1`). */
  readonly contextDir: string;
  /** Relative to `sourceDir`: a file (e.g. `Dockerfile-for-RHOSP13`) or a directory holding `Dockerfile`. */
  readonly dockerfile: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Where to push: `<host>/<namespace>/<repository>:<tag>`, with credentials. */
  readonly push: {
    readonly reference: string;
    readonly username: string;
    readonly password: string;
    /** False for a plain-HTTP registry on loopback (the tests, an embedded install). */
    readonly tlsVerify: boolean;
  };
  /** Largest image (sum of its compressed layers) accepted, in bytes. */
  readonly maxImageBytes: number;
  /** A directory of this build's own for the builder's storage; removed by the caller. */
  readonly workDir: string;
}

/** What a build produced. */
export interface BuildResult {
  /** The manifest digest pushed. */
  readonly digest: string;
  /** The last stage's `FROM`, resolved at build time (digest null for `scratch`). */
  readonly base: { readonly reference: string; readonly digest: string | null };
}

/** Builds images (buildah today). */
export interface Builder {
  /** Whether the builder can run here, or why not. */
  available(): Promise<string | undefined>;
  build(request: BuildRequest, options: StepOptions): Promise<BuildResult>;
}
