import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Vitest's order, except that on the production topology (the kafka project) the files that share
 * its deployment (`startSharedSystem`, in the file or in a helper it imports) run first, one after
 * another: the shared deployment is stopped when a file starts one of its own, so that thirteen idle
 * processes do not slow the files after it, and it starts once.
 */
export default class SharedDeploymentFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const later = new Set(sorted.filter((spec) => spec.project.name === 'kafka' && !sharesDeployment(spec.moduleId)));
    return [...sorted.filter((spec) => !later.has(spec)), ...later];
  }
}

/** A call of it (its definition in system.ts is not one). */
const SHARED = /\bawait startSharedSystem\(/;

/** Whether the file, or a module it imports by a relative path, starts the shared deployment. */
function sharesDeployment(file: string): boolean {
  const source = readFileSync(file, 'utf8');
  if (SHARED.test(source)) return true;
  return [...source.matchAll(/from '(\.{1,2}\/[^']+\.ts)'/g)].some(([, rel]) =>
    SHARED.test(readFileSync(path.resolve(path.dirname(file), rel!), 'utf8')),
  );
}
