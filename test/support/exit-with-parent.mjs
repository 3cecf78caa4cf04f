// Preloaded into every process a test starts (`startProcess`): it stops when the test process that
// started it is gone. A test worker that vitest ends (a hook that timed out, a killed run) cannot
// stop its children itself, and a platform process left running loads the machine for every run after.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1000).unref();
