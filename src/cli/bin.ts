#!/usr/bin/env node
/**
 * The `hallmark` binary. The only place that writes the final output and calls `process.exit`:
 * commands return data or throw, and errors become exit codes here.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError, Option } from 'commander';
import { AppError, ImageReadError, describeError } from '../platform/errors.js';
import { log } from '../platform/logger.js';
import type { Config } from '../platform/config.js';
import type { StoreKind } from './commands/migrate-blobs.js';
import type { VulnIndexLocation } from '../engine/vuln/store.js';
import { defaultVulndbPath } from './vulndb-path.js';
import { EXIT, ExitError } from './exit.js';
import { VERSION } from './version.js';

/** Where the CLI keeps its vulnerability index unless told otherwise. */
const VULNDB_DEFAULT = defaultVulndbPath(process.env, homedir());

/** Builds the command tree; exported for tests. */
export function buildProgram(
  out: (text: string) => void,
  setExit: (code: number) => void,
): Command {
  const program = new Command('hallmark')
    .description('Partner certification for container images')
    .version(VERSION)
    .option('--verbose', 'log progress details to stderr')
    .option('--json-errors', 'print errors as problem JSON on stderr')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError();
  program.hook('preAction', (cmd) => {
    if (cmd.opts<{ verbose?: boolean }>().verbose) {
      log.setLevel('info');
    }
  });

  program.hook('preSubcommand', addSettingFlags);

  const config = async (opts: Record<string, unknown>): Promise<Config> => {
    const { loadConfig, unknownEnvironment } = await import('../platform/config.js');
    // `--no-in-process-workers` defaults to true; only an explicit flag may override the environment.
    const { inProcessWorkers, ...rest } = opts;
    const argv = inProcessWorkers === false ? { ...rest, inProcessWorkers } : rest;
    const loaded = loadConfig({ argv, env: process.env });
    log.setLevel(loaded.log.level);
    for (const unknown of unknownEnvironment(process.env)) {
      log.warn('config', unknown.message, { variable: unknown.name, closest: unknown.closest });
    }
    return loaded;
  };

  program
    .command('check')
    .description('scan an image against the certification policy')
    .argument(
      '<image>',
      'oci:DIR[:TAG], docker-archive:FILE[:REF] or docker://HOST/REPO[:TAG|@DIGEST]',
    )
    .addOption(
      new Option('--policy <id>', 'certification policy')
        .choices(['connect-2018', 'container'])
        .default('connect-2018'),
    )
    .addOption(
      new Option('--output <format>', 'report format')
        .choices(['text', 'json', 'junit'])
        .default('text'),
    )
    .option(
      '--vulndb <path>',
      'vulnerability index (default: the one `hallmark vulndb` maintains, if any)',
    )
    .option('--creds <user:password>', 'registry credentials for docker://')
    .option(
      '--tls-verify [bool]',
      'verify registry TLS certificates (--tls-verify=false to allow self-signed and http)',
      'true',
    )
    .option('--platform <os/arch[/variant]>', 'platform to pick from an image index', 'linux/amd64')
    .option('--advisory <names>', 'comma-separated assessments to report without failing the image')
    .action(async (image: string, opts: Record<string, string>) => {
      keepYoungGenerationSmall();
      const { check } = await import('./commands/check.js');
      // The progress bar's library is loaded only for a terminal, where it draws.
      const progress = process.stderr.isTTY
        ? (await import('./progress.js')).startProgress(process.stderr)
        : { update: () => undefined, done: () => undefined };
      try {
        const vulndb = opts.vulndb ?? (existsSync(VULNDB_DEFAULT) ? VULNDB_DEFAULT : undefined);
        const res = await check(image, {
          ...opts,
          ...(vulndb ? { vulndb } : {}),
          color: opts.output === 'text' && process.stdout.isTTY === true,
          onProgress: progress.update,
        });
        progress.done();
        out(res.output);
        setExit(res.exitCode);
      } finally {
        progress.done();
      }
    });

  program
    .command('lint')
    .description('predict the assessments a Dockerfile will fail, before building it')
    .argument('[dockerfile]', 'path of the Dockerfile', 'Dockerfile')
    .addOption(
      new Option('--policy <id>', 'certification policy')
        .choices(['connect-2018', 'container'])
        .default('connect-2018'),
    )
    .addOption(
      new Option('--output <format>', 'report format').choices(['text', 'json']).default('text'),
    )
    .option(
      '--strict',
      "exit 1 on warnings too (findings lint can only guess: what the base image or a copied directory holds, the builder's layers)",
    )
    .action(async (file: string, opts: { policy?: string; output?: string; strict?: boolean }) => {
      const { lint } = await import('./commands/lint.js');
      const res = await lint(file, opts);
      out(res.output);
      setExit(res.exitCode);
    });
  const vulndb = program
    .command('vulndb')
    .description('build and update the local vulnerability index');
  // Without --db, --data-dir, --config or --database-url (nor their HALLMARK_* variables), the
  // index is the CLI's own, which `hallmark check` uses; with them, the one the server configured
  // reads: a file, or on PostgreSQL its database.
  const vulndbTarget = async (
    opts: VulndbTargetOptions,
  ): Promise<{ db: string | VulnIndexLocation; server?: Config }> => {
    const serverOption =
      opts.dataDir !== undefined || opts.config !== undefined || opts.databaseUrl !== undefined;
    const server =
      serverOption ||
      ['HALLMARK_DATA_DIR', 'HALLMARK_CONFIG', 'HALLMARK_VULNDB', 'HALLMARK_DATABASE_URL'].some(
        (v) => !!process.env[v],
      );
    if (opts.db !== undefined && serverOption) {
      throw new ExitError(
        EXIT.usage,
        'vulndb.conflicting_target',
        '--db names the index file itself; give it, or --data-dir / --config / --database-url, not both',
      );
    }
    const { db, json: _json, ...storage } = opts;
    if (db !== undefined || !server) {
      return { db: db ?? VULNDB_DEFAULT };
    }
    const loaded = await config(storage);
    return { db: loaded.scan.vulndb, server: loaded };
  };
  // A server's index changed: its workers regrade now rather than at their next check.
  const regrade = async (server: Config | undefined): Promise<string> =>
    server === undefined
      ? ''
      : `${await (await import('./commands/vulndb.js')).queueRegrade(server)}\n`;
  const indexLine = async (target: string | VulnIndexLocation): Promise<string> =>
    `index ${typeof target === 'string' ? target : (await import('../engine/vuln/store.js')).describeLocation(target)}`;
  withVulndbTarget(
    vulndb
      .command('import')
      .description('import Red Hat CSAF VEX files, directories or .tar.zst archives')
      .argument('<paths...>', 'files, directories or archives'),
  ).action(async (paths: string[], opts: VulndbTargetOptions) => {
    const { db, server } = await vulndbTarget(opts);
    const { formatVulndbSummary, vulndbImport } = await import('./commands/vulndb.js');
    const summary = formatVulndbSummary(await vulndbImport(paths, { db }));
    out(`${await indexLine(db)}\n${summary}${await regrade(server)}\n`);
  });
  withVulndbTarget(
    vulndb
      .command('sync')
      .description(
        "mirror Red Hat's CSAF VEX layout (archive_latest.txt, changes.csv, deletions.csv)",
      )
      .argument('<base-url>', 'URL of the directory holding archive_latest.txt'),
  ).action(async (baseUrl: string, opts: VulndbTargetOptions) => {
    const { db, server } = await vulndbTarget(opts);
    const { formatVulndbSummary, vulndbSync } = await import('./commands/vulndb.js');
    const summary = formatVulndbSummary(await vulndbSync(baseUrl, { db }));
    out(`${await indexLine(db)}\n${summary}${await regrade(server)}\n`);
  });
  withVulndbTarget(
    vulndb
      .command('info')
      .description('where the index is, what it holds and how fresh it is')
      .option('--json', 'print the summary as JSON'),
  ).action(async (opts: VulndbTargetOptions) => {
    const { formatVulndbInfo, vulndbInfo } = await import('./commands/vulndb.js');
    const info = await vulndbInfo((await vulndbTarget(opts)).db);
    out(opts.json === true ? `${JSON.stringify(info)}\n` : formatVulndbInfo(info));
  });

  withStorageOptions(
    program
      .command('serve')
      .description('run the registry and the job workers (npm start)')
      .option('--port <port>', 'TCP port (default 8080)')
      .option('--host <address>', 'address to listen on (default 0.0.0.0)')
      .option('--public-url <url>', 'external base URL, for auth challenges')
      .option('--trust-proxy', 'take client addresses from X-Forwarded-For (behind a proxy)')
      .option('--processes <n>', 'HTTP processes sharing the port, to use more cores (default 1)')
      .option('--worker-concurrency <n>', 'jobs run at the same time')
      .option('--no-in-process-workers', 'do not run job workers in this process'),
  ).action(async (opts: Record<string, unknown>) => {
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const { serve } = await import('./commands/serve.js');
    await serve(await config(opts), out, stop);
  });

  withStorageOptions(
    program
      .command('worker')
      .description('run only the job workers (scans), beside `serve --no-in-process-workers`')
      .option('--worker-concurrency <n>', 'jobs run at the same time'),
  ).action(async (opts: Record<string, unknown>) => {
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    const { work } = await import('./commands/serve.js');
    await work(await config(opts), out, stop);
  });

  withStorageOptions(
    program.command('migrate').description('create or upgrade the database schema'),
  )
    .option('--status', 'only list pending migrations')
    .option('--json', 'print {"applied","pending","current"}')
    .action(async (opts: Record<string, unknown>) => {
      const { migrate } = await import('./commands/migrate.js');
      out(`${await migrate(await config(opts), opts.status === true, opts.json === true)}
`);
    });
  withStorageOptions(
    program
      .command('doctor')
      .description('check the configuration, database, blob store, mail and vulnerability data'),
  )
    .option('--json', 'print the checks as JSON')
    .action(async (opts: Record<string, unknown>) => {
      const { formatDoctor, runDoctor } = await import('./commands/doctor.js');
      const checks = await runDoctor(await config(opts));
      const report = formatDoctor(checks);
      out(`${opts.json === true ? JSON.stringify(checks) : report.text}
`);
      setExit(report.exitCode);
    });
  const admin = program.command('admin').description('operator commands on the configured storage');
  admin.hook('preSubcommand', addSettingFlags);
  withStorageOptions(admin.command('create-company').description('register a partner company'))
    .argument('<name>', 'company name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: Record<string, unknown>) => {
      const { adminCreateCompany } = await import('./commands/admin.js');
      out(`${await adminCreateCompany(await config(opts), name, opts.json === true)}
`);
    });
  withStorageOptions(
    admin
      .command('create-project')
      .description('open a certification project; prints its id, registry namespace and key'),
  )
    .requiredOption('--company <name>', 'company name')
    .requiredOption('--name <name>', 'project name')
    .option('--json', 'print {"id","namespace","registryKey"}')
    .action(async (opts: Record<string, unknown>) => {
      const { company, name } = opts as { company: string; name: string };
      const { adminCreateProject } = await import('./commands/admin.js');
      out(`${await adminCreateProject(await config(opts), { company, name }, opts.json === true)}
`);
    });
  withStorageOptions(admin.command('rotate-key').description("replace a project's registry key"))
    .argument('<project-id>', 'project id')
    .option('--json', 'print JSON')
    .action(async (projectId: string, opts: Record<string, unknown>) => {
      const { adminRotateKey } = await import('./commands/admin.js');
      out(`${await adminRotateKey(await config(opts), projectId, opts.json === true)}
`);
    });
  withStorageOptions(
    admin
      .command('create-staff')
      .description('create a program staff account; prints a generated password'),
  )
    .argument('<login>', 'login (at least 5 characters)')
    .option('--email <address>', 'e-mail address (default <login>@hallmark.invalid)')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('--json', 'print {"id","login","email","password"}')
    .action(async (login: string, opts: Record<string, unknown>) => {
      const password = opts.passwordStdin === true ? await readPassword() : undefined;
      const email = typeof opts.email === 'string' ? opts.email : undefined;
      const { adminCreateStaff } = await import('./commands/admin-accounts.js');
      out(`${await adminCreateStaff(await config(opts), { login, email, password }, opts.json === true)}
`);
    });
  withStorageOptions(
    admin
      .command('reset-password')
      .description(
        'set a new generated password for a login (or print a reset link); no e-mail is sent',
      ),
  )
    .argument('<login>', 'login of the user')
    .option('--link', 'print a password-reset link (from server.publicUrl) instead of a password')
    .option('--json', 'print JSON')
    .action(async (login: string, opts: Record<string, unknown>) => {
      const { adminResetPassword } = await import('./commands/admin-accounts.js');
      out(`${await adminResetPassword(await config(opts), login, opts.link === true, opts.json === true)}
`);
    });
  withStorageOptions(admin.command('list-companies').description('list every partner company'))
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const { adminListCompanies } = await import('./commands/admin-accounts.js');
      out(`${await adminListCompanies(await config(opts), opts.json === true)}
`);
    });
  withStorageOptions(
    admin.command('list-projects').description('list certification projects, newest first'),
  )
    .option('--company <name>', 'only the projects of this company')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const company = typeof opts.company === 'string' ? opts.company : undefined;
      const { adminListProjects } = await import('./commands/admin-accounts.js');
      out(`${await adminListProjects(await config(opts), company, opts.json === true)}
`);
    });
  withStorageOptions(admin.command('list-users').description('list users by login'))
    .option('--company <name>', 'only the users of this company')
    .option('--staff', 'only program staff accounts')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const company = typeof opts.company === 'string' ? opts.company : undefined;
      const { adminListUsers } = await import('./commands/admin-accounts.js');
      out(`${await adminListUsers(await config(opts), { company, staff: opts.staff === true }, opts.json === true)}
`);
    });
  withStorageOptions(
    admin
      .command('gc')
      .description('delete unreferenced blobs and abandoned uploads')
      .option('--gc-grace-minutes <n>', 'keep unreferenced blobs used more recently than this')
      .option('--upload-expiry-minutes <n>', 'discard uploads nobody wrote to for this long'),
  )
    .option('--dry-run', 'only report what would be deleted')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, unknown>) => {
      const { adminGc } = await import('./commands/admin.js');
      out(`${await adminGc(await config(opts), opts.dryRun === true, opts.json === true)}
`);
    });
  withStorageOptions(
    admin
      .command('migrate-blobs')
      .description(
        'copy every blob between the filesystem store (blobs.dir) and the S3 store (blobs.s3.*), digests verified; run again to resume or to catch up',
      ),
  )
    .addOption(
      new Option('--from <store>', 'the store to copy from')
        .choices(['fs', 's3'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--to <store>', 'the store to copy to')
        .choices(['fs', 's3'])
        .makeOptionMandatory(),
    )
    .option('--concurrency <n>', 'blobs copied at the same time', '4')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: Record<string, unknown>) => {
      const json = opts.json === true;
      const options = {
        from: opts.from as StoreKind,
        to: opts.to as StoreKind,
        concurrency: Number(opts.concurrency),
        // Progress on stderr, so stdout holds only the summary.
        progress: (line: string) => process.stderr.write(`${line}\n`),
      };
      const { describeMigration, migrateBlobs } = await import('./commands/migrate-blobs.js');
      const report = await migrateBlobs(await config(opts), options);
      out(`${json ? JSON.stringify(report) : describeMigration(report, options)}
`);
      setExit(report.failed.length > 0 ? EXIT.failed : EXIT.ok);
    });
  return program;
}

/**
 * Keeps V8's young generation at its starting size for the rest of the process. A check is one
 * scan: a stream of short-lived chunks, tar entries and hashes, for which V8 grows the young
 * generation to 32 MB, and the chunks' buffers it has not yet collected stay allocated meanwhile.
 * Kept small, the process peaks about 40 MB lower for the same time (`npm run bench:scan`). The
 * flag only steers how the heap grows, so it may change after start (the semi-space's maximum
 * may not).
 */
function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Which index `vulndb import`, `sync` and `info` use. */
interface VulndbTargetOptions {
  db?: string;
  dataDir?: string;
  config?: string;
  databaseUrl?: string;
  json?: boolean;
}

/** The index options of `vulndb import`, `sync` and `info`. */
function withVulndbTarget(command: Command): Command {
  return command
    .option('--db <file>', `index file (default ${VULNDB_DEFAULT}, which \`hallmark check\` reads)`)
    .option(
      '--data-dir <dir>',
      'the index the server with this data directory reads (<dir>/vulndb.sqlite, or scan.vulndb)',
    )
    .option('--config <file>', 'the index the server with this config file reads (scan.vulndb)')
    .option(
      '--database-url <url>',
      'the index the servers on this PostgreSQL database read (its schema vulndb), unless scan.vulndb names another',
    );
}

/** The commands that open the server's storage, which take every setting as a flag. */
const STORAGE_COMMANDS = new WeakSet<Command>();

/** The options every command that opens the server's storage takes. */
function withStorageOptions(command: Command): Command {
  STORAGE_COMMANDS.add(command);
  return command
    .option('--data-dir <dir>', 'data directory (default ./data; HALLMARK_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (HALLMARK_DATABASE_URL)')
    .option('--blobs-dir <dir>', 'blob store directory (default <data-dir>/blobs)')
    .option('--config <file>', 'JSON configuration file (HALLMARK_CONFIG)');
}

/**
 * Every other setting of docs/configuration.md is a flag too, on every command that reads the
 * configuration; the commands that use them show them in --help. They are added to the command
 * about to run (a `preSubcommand` hook, before its arguments and --help are read), so that the
 * configuration's schema is loaded by the commands that read it and not by `check`: loading it
 * grows V8's young generation and costs a check about 20 MB.
 */
async function addSettingFlags(_parent: Command, command: Command): Promise<void> {
  if (!STORAGE_COMMANDS.has(command)) {
    return;
  }
  const { SETTINGS } = await import('../platform/config.js');
  const shown = ['serve', 'worker', 'doctor'].includes(command.name());
  for (const setting of SETTINGS) {
    const long = `--${setting.flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (command.options.some((o) => o.long === long || o.long === `--no-${long.slice(2)}`)) {
      continue;
    }
    const option = new Option(
      setting.kind === 'bool' ? long : `${long} <value>`,
      `${setting.path} (${setting.env})`,
    );
    command.addOption(shown ? option : option.hideHelp());
  }
}

/** The password piped to `--password-stdin`, without its final line break. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  }
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password === '') {
    throw new ExitError(
      EXIT.usage,
      'account.password_missing',
      '--password-stdin read no password',
    );
  }
  return password;
}

/** Statuses of errors that report another server's failure (bad gateway, unavailable, timeout). */
const UPSTREAM_STATUSES = new Set([502, 503, 504]);

/** Maps any thrown value to an exit code and a message on stderr. */
function report(err: unknown, json: boolean): number {
  let code: string;
  let exit: number;
  if (err instanceof ExitError) {
    [code, exit] = [err.code, err.exitCode];
  } else if (
    err instanceof ImageReadError ||
    (err instanceof AppError && (err.status < 500 || err.code === 'config.invalid'))
  ) {
    [code, exit] = [err.code, EXIT.usage];
  } else if (err instanceof AppError && UPSTREAM_STATUSES.has(err.status)) {
    // Another server failed us (a 404 or 5xx of `vulndb sync`'s source): expected, no stack.
    [code, exit] = [err.code, EXIT.failed];
  } else if (err instanceof AppError) {
    [code, exit] = [err.code, EXIT.internal];
  } else {
    [code, exit] = ['internal', EXIT.internal];
  }
  const message = describeError(err);
  if (json) {
    process.stderr.write(
      JSON.stringify({ type: 'about:blank', title: message, status: exit, code }) + '\n',
    );
  } else {
    process.stderr.write(`hallmark: ${message} [${code}]\n`);
    if (exit === EXIT.internal && err instanceof Error && err.stack) {
      log.error('cli', 'unexpected error', { stack: err.stack });
    }
  }
  return exit;
}

async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(
    (text) => process.stdout.write(text),
    (code) => (exitCode = code),
  );
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    return report(err, argv.includes('--json-errors'));
  }
}

/**
 * An HTTP process of `serve --processes` ends when its command does, whatever stopped it (a
 * configuration file broken since the primary started, a taken port): its channel to the primary
 * would keep it alive, and `disconnect()` would end it at once with code 0.
 */
function releasePrimaryChannel(): void {
  process.channel?.unref();
}

main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`hallmark: ${describeError(err)}\n`);
      process.exitCode = EXIT.internal;
    },
  )
  .finally(releasePrimaryChannel);
