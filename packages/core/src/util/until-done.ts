// A start-up task that must not hold up the start (a repair that needs a server which may not
// be up yet): tried at once, and again after each failure until it has succeeded once. One
// attempt at a time; a failure is reported once per distinct reason, not at every retry.

export interface UntilDoneOptions<T> {
  /** Time between a failed attempt and the next; default 30 s. */
  retryMs?: number;
  onDone?: (result: T) => void;
  onError?: (error: Error) => void;
}

export interface UntilDone {
  /** Resolves when the task has succeeded (never, if stopped before). */
  readonly done: Promise<void>;
  /** No more attempts; resolves when one under way has finished. */
  stop(): Promise<void>;
}

export function retryUntilDone<T>(task: () => Promise<T>, options: UntilDoneOptions<T> = {}): UntilDone {
  const retryMs = options.retryMs ?? 30_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let attempt: Promise<void> = Promise.resolve();
  let lastProblem: string | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const run = () => {
    attempt = task().then(
      (result) => {
        options.onDone?.(result);
        finish();
      },
      (error: Error) => {
        if (error.message !== lastProblem) options.onError?.(error);
        lastProblem = error.message;
        if (!stopped) timer = setTimeout(run, retryMs).unref();
      },
    );
  };
  run();

  return {
    done,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await attempt;
    },
  };
}
