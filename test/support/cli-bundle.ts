import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'campusg-cli');

/**
 * The CLI (`apps/cli/src/main.ts`) and every workspace module it imports compiled once into
 * JavaScript, for the processes a test run starts: through tsx each of them spends about a second
 * of CPU compiling and resolving the same TypeScript again, and the production topology starts
 * thirteen at once. Packages from `node_modules` stay imports, resolved as they are under tsx; every
 * module keeps its own location (`import.meta.dirname`, `import.meta.url`), so migrations, worker
 * scripts and package files are found beside its source; a module imported on demand stays a
 * separate chunk, loaded on demand. Returns the entry's path; `remove` deletes the build.
 *
 * Vitest runs a global setup once per project, each in a module of its own but all in its one
 * process: the build is kept on that process's global object, so the projects of a run share one.
 */
export function buildCli(): Promise<CliBuild> {
  const shared = globalThis as { [BUILD]?: Promise<CliBuild> };
  shared[BUILD] ??= buildOnce();
  return shared[BUILD];
}

export interface CliBuild {
  entry: string;
  remove: () => Promise<void>;
}

const BUILD = Symbol.for('campusg.test.cli-build');

async function buildOnce(): Promise<CliBuild> {
  const outdir = path.join(CACHE, String(process.pid));
  await build({
    entryPoints: { main: path.join(ROOT, 'apps/cli/src/main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    plugins: [packagesOutside, ownLocation],
    logLevel: 'warning',
  });
  return { entry: path.join(outdir, 'main.mjs'), remove: () => rm(outdir, { recursive: true, force: true }) };
}

/** A bare import that is not a workspace package (`@campusg/…`) is left to Node to resolve. */
const packagesOutside: Plugin = {
  name: 'packages-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@campusg/') ? undefined : { path: args.path, external: true }));
  },
};

/** `import.meta.dirname` and `import.meta.url` of a workspace module say where its source is. */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.')) return undefined;
      return {
        contents: source
          .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
        loader: 'ts',
      };
    });
  },
};
