// npm run bench — every benchmark in turn (scan, registry, vulndb, api, web, build), after one build.
//
// Each runs as its own process with its output shown as it comes; one that cannot run here
// (exit code 2: a missing tool such as docker-registry, or too little disk) or fails does not stop
// the others. The end lists each benchmark's exit code and duration; the exit code is the first
// non-zero one.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const BENCHES = ['scan', 'registry', 'vulndb', 'api', 'web', 'build'];

const results = [];
for (const name of BENCHES) {
  console.log(`\n=== bench:${name} ===`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [join(ROOT, 'bench', `${name}.mjs`)], {
    stdio: 'inherit',
  });
  results.push({ name, code: run.status ?? 1, seconds: (Date.now() - started) / 1000 });
  if (run.signal === 'SIGINT') {
    break;
  }
}
console.log('\n=== summary ===');
for (const r of results) {
  const what = r.code === 0 ? 'done' : r.code === 2 ? 'could not run here' : `failed (${r.code})`;
  console.log(`bench:${r.name.padEnd(8)} ${what}, ${r.seconds.toFixed(0)} s`);
}
process.exit(results.find((r) => r.code !== 0)?.code ?? 0);
