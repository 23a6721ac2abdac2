// Runs once, as root, inside the build of Hallmark's image (the Containerfile's only RUN step),
// with nothing but Node.js: an offline base may have no shell, no useradd and no npm.
//
// - installs the production dependencies with `npm ci --omit=dev` when the build context brought
//   none (deploy/image/context.mjs --online);
// - adds the group and user `hallmark` (10001) unless the base has them;
// - makes the data directory /var/lib/hallmark, owned by hallmark, mode 0700;
// - links /usr/local/bin/hallmark to the CLI;
// - runs `hallmark --version`, so an image that cannot start fails its build instead.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';

const APP = '/opt/hallmark';
const BIN = `${APP}/dist/cli/bin.js`;
const DATA = '/var/lib/hallmark';
const ID = 10001;

if (readdirSync(`${APP}/node_modules`).length === 0) {
  const cache = '/tmp/hallmark-npm-cache';
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--cache', cache], {
    cwd: APP,
    stdio: 'inherit',
  });
  rmSync(cache, { recursive: true, force: true });
}

addEntry('/etc/group', `hallmark:x:${ID}:`);
addEntry('/etc/passwd', `hallmark:x:${ID}:${ID}:Hallmark:${DATA}:/usr/sbin/nologin`);

mkdirSync(DATA, { recursive: true });
chownSync(DATA, ID, ID);
chmodSync(DATA, 0o700);

chmodSync(BIN, 0o755);
mkdirSync('/usr/local/bin', { recursive: true });
rmSync('/usr/local/bin/hallmark', { force: true });
symlinkSync(BIN, '/usr/local/bin/hallmark');
rmSync(`${APP}/setup.mjs`);

const version = execFileSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' }).trim();
console.log(`hallmark ${version} installed in ${APP}`);

/** Appends `line` to an /etc file unless an entry of the same name is there already. */
function addEntry(file, line) {
  const name = `${line.split(':')[0]}:`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (!text.split('\n').some((l) => l.startsWith(name))) {
    appendFileSync(file, `${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
  }
}
