/** Red Hat's `changes.csv` / `deletions.csv`: `"path","timestamp"` rows, newest first. */

/** One row: a document path relative to the base URL and when it changed. */
export interface ChangeRow {
  path: string;
  /** Milliseconds since the epoch. */
  time: number;
  /** The timestamp as published. */
  timestamp: string;
}

/** Parses the CSV text; rows that are not `path,timestamp` are returned in `bad` with the reason. */
export function parseChanges(text: string): { rows: ChangeRow[]; bad: string[] } {
  const rows: ChangeRow[] = [];
  const bad: string[] = [];
  for (const [n, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === '') {
      continue;
    }
    const fields = splitCsvLine(line);
    const [path = '', timestamp = ''] = fields;
    const time = Date.parse(timestamp);
    if (fields.length < 2 || Number.isNaN(time)) {
      // A header line ("path","timestamp") is not an error.
      if (n > 0 || !/path/i.test(path)) {
        bad.push(`line ${n + 1}: ${JSON.stringify(line.slice(0, 200))} is not "path","timestamp"`);
      }
      continue;
    }
    rows.push({ path, time, timestamp });
  }
  return { rows, bad };
}

/** True for a safe relative document path (`2023/cve-2023-0001.json`). */
export function isDocumentPath(path: string): boolean {
  return /^[\w.-]+(\/[\w.-]+)*\.json$/i.test(path) && !path.split('/').includes('..');
}

/** The document id a path stands for (`2023/cve-2023-0001.json` → `CVE-2023-0001`). */
export function documentIdOfPath(path: string): string {
  const file = path.slice(path.lastIndexOf('/') + 1).replace(/\.json$/i, '');
  return file.toUpperCase();
}

function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field.trim());
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field.trim());
  return fields;
}
