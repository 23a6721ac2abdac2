/** A registry key just created, kept in memory only so the registry tab can show it once. */
const keys = new Map<string, string>();

/** Keeps the new key of a project for the next registry tab. */
export function rememberKey(projectId: string, key: string): void {
  keys.set(projectId, key);
}

/** The new key of a project, forgotten as it is read (shown once). */
export function takeKey(projectId: string): string | undefined {
  const key = keys.get(projectId);
  keys.delete(projectId);
  return key;
}
