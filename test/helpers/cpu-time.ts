/**
 * The CPU time (user and system, in ms) this process spent in `run`. Tests that guard against
 * runaway work (a regex that backtracks, an alias bomb expanded) bound this, not the wall
 * clock: the test command runs the unit tests at the lowest priority beside the engine tests,
 * where a linear call can wait seconds for a CPU, but never spends more CPU than it needs.
 */
export function cpuTimeOf<T>(run: () => T): { ms: number; result: T } {
  const before = process.cpuUsage();
  const result = run();
  const spent = process.cpuUsage(before);
  return { ms: (spent.user + spent.system) / 1000, result };
}
