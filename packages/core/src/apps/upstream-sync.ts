// Keeps the proxy's upstream blocks on the apps' current tasks: a loop, one pass at a time
// (the next is scheduled when the last has finished, so a slow engine never piles them up).
// A failed pass is reported and the loop goes on: the proxy's DNS fallback keeps serving
// meanwhile, only without kept-alive connections to the tasks that moved.

export interface UpstreamSyncOptions {
  /** Time between the end of one pass and the start of the next; default 1 s. */
  intervalMs?: number;
  /** A pass re-rendered the proxy configuration. */
  onChange?: () => void;
  /** A pass failed: told once per distinct reason, not every second while it lasts. */
  onError?: (error: Error) => void;
}

export interface UpstreamSync {
  /** Runs a pass now, or right after the one under way: something is known to have changed. */
  wake(): void;
  /** Stops the loop; resolves when a pass under way has finished. */
  stop(): Promise<void>;
}

export function startUpstreamSync(sync: () => Promise<boolean>, options: UpstreamSyncOptions = {}): UpstreamSync {
  const intervalMs = options.intervalMs ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();
  let busy = false;
  let again = false;
  let lastProblem: string | undefined;

  const run = () => {
    busy = true;
    again = false;
    pass = sync()
      .then((changed) => {
        lastProblem = undefined;
        if (changed) options.onChange?.();
      })
      .catch((error: Error) => {
        if (error.message !== lastProblem) options.onError?.(error);
        lastProblem = error.message;
      })
      .finally(() => {
        busy = false;
        if (!stopped) timer = setTimeout(run, again ? 0 : intervalMs).unref();
      });
  };
  timer = setTimeout(run, intervalMs).unref();

  return {
    wake() {
      if (stopped) return;
      if (busy) {
        again = true;
        return;
      }
      clearTimeout(timer);
      run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await pass;
    },
  };
}
