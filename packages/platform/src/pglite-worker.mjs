// The worker thread's entry, in JavaScript: a worker does not inherit the main thread's TypeScript
// loader on every Node version (tsx registers itself on the main thread only on Node 20), so the
// thread's code is imported through tsx's own API, under `npm start`, vitest and the Docker image alike.
import { tsImport } from 'tsx/esm/api';

await tsImport('./pglite-worker.ts', import.meta.url);
