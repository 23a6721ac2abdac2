/**
 * Where a reader finds an assessment's policy text. Results (and the reports stored from them)
 * name it as a path in this repository, `docs/policy/<policy>.md#<anchor>`; the server links the
 * portal's page of that text, the offline CLI the copy installed with it.
 */
const POLICY_REF = /^docs\/policy\/([a-z0-9-]+)\.md#([A-Za-z0-9_-]+)$/;

/** The portal's page of a result's policy text (`/policy/<policy>#<anchor>`); other urls as given. */
export function policyPagePath(ref: string): string {
  const match = POLICY_REF.exec(ref);
  return match === null ? ref : `/policy/${match[1]}#${match[2]?.toLowerCase()}`;
}

/** The policy text in `docsDir` (a `file:` URL of `docs/policy/`); other urls as given. */
export function policyFileUrl(ref: string, docsDir: URL): string {
  const match = POLICY_REF.exec(ref);
  return match === null ? ref : new URL(`${match[1]}.md#${match[2]}`, docsDir).href;
}
