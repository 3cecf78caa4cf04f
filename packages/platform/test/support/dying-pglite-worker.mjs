// A database thread that opens, then dies at its first request: what a crash of the real one looks like to its caller.
import { parentPort } from 'node:worker_threads';

parentPort.postMessage({ id: 0 });
parentPort.on('message', () => process.exit(3));
