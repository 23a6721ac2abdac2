/**
 * The import rules of the architecture (docs/architecture.md), checked by `npm run lint:deps`
 * (part of `npm run lint` and of `npm test`): no cycles; the engine is pure; the platform knows
 * no module; a module reaches another only through its public `index.ts`; the web UI and the
 * server import nothing of each other.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'Import cycles make module boundaries meaningless; break them.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'engine-is-pure',
      comment: 'The engine imports nothing of the modules, the server or the CLI.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(modules|server|cli)/' },
    },
    {
      name: 'platform-knows-no-module',
      comment: 'Cross-cutting code is below the modules; it never imports one.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(modules|server|cli)/' },
    },
    {
      name: 'modules-through-index',
      comment: "A module reaches another only through that module's public index.ts.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/(?!index\\.ts$)',
        pathNot: ['^src/modules/$1/'],
      },
    },
    {
      name: 'web-knows-no-server',
      comment:
        'The web UI reaches the server only through HTTP, typed by web/src/api/schema.d.ts (generated from the OpenAPI document): it imports nothing of src/.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^src/' },
    },
    {
      name: 'server-knows-no-web',
      comment: 'The server serves the built UI as files; it imports none of its code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^web/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.(test|fuzz\\.test|db\\.test)\\.ts$|\\.fixtures\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
