import type { TestProject } from 'vitest/node';
import { buildCli } from './cli-bundle.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** The compiled CLI the platform processes of this run start from (`startProcess`); empty: through tsx. */
    cliEntry: string;
  }
}

/**
 * Compiles the CLI once for the run's platform processes, shared by its projects (see `buildCli`). In watch mode the
 * sources change between runs, so the processes load them through tsx as `npm start` does.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (project.config.watch) {
    project.provide('cliEntry', '');
    return undefined;
  }
  const cli = await buildCli();
  project.provide('cliEntry', cli.entry);
  return cli.remove;
}
