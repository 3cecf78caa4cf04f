import { describeSimulation } from './simulation.ts';

// Seeds 501–1000 of the saga system's simulation (README.md of this folder); -1 runs 1–500, on the other worker.
describeSimulation('test/simulation/saga-simulation-2.int.test.ts', 501, 500);
