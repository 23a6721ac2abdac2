import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi-document.js';

describe('openApiDocument', () => {
  it('should describe the API and the registry without storage or a socket', async () => {
    const doc = await openApiDocument();
    const paths = Object.keys(doc.paths as Record<string, unknown>);
    expect(doc.openapi).toBe('3.1.0');
    expect(paths).toContain('/api/v1/session');
    expect(paths).toContain('/api/v1/catalog/images/{id}');
    expect(paths.some((p) => p.startsWith('/v2/'))).toBe(true);
  });
});
