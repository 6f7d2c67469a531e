// A periodic look in a long-running process (the API's alert, disk and stats timers): one run
// at a time (a slow one is not stacked on), its failure reported and the next run kept, and an
// unref'd timer, so it never holds the process open.

/** Runs `task` every `everyMs`; returns stop. */
export function runEvery(task: () => Promise<unknown>, everyMs: number, onError?: (error: Error) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((error: Error) => onError?.(error))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
