import { describeSimulation } from './simulation.ts';

// Seeds 1–500 of the saga system's simulation (README.md of this folder); -2 runs 501–1000, on the other worker.
describeSimulation('test/simulation/saga-simulation-1.int.test.ts', 1, 500);
