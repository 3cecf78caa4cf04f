import type { TestProject } from 'vitest/node';
import { buildCli } from './cli-bundle.ts';
import { dropSharedDeployments } from './topology.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** The compiled CLI the platform processes of this run start from (`startProcess`); empty: through tsx. */
    cliEntry: string;
  }
}

/**
 * Compiles the CLI once for the run's platform processes, shared by its projects (see `buildCli`). In watch mode the
 * sources change between runs, so the processes load them through tsx as `npm start` does. At the end of a run on
 * the production topology, drops what the shared deployments of its files left (`sharedTopology`).
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (project.config.watch) {
    project.provide('cliEntry', '');
    return undefined;
  }
  const cli = await buildCli();
  project.provide('cliEntry', cli.entry);
  const { KAFKA_BROKERS: brokers, DATABASE_URL: databaseUrl } = process.env;
  if (project.name !== 'kafka' || !brokers || !databaseUrl) return cli.remove;
  return async () => {
    await dropSharedDeployments(databaseUrl, brokers);
    await cli.remove();
  };
}
