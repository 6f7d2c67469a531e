import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import type { Progress } from '@minicloud/core';
import { currentActor } from './actor.js';
import { problemOf } from './problem.js';
import type { Job, JobKind, ProblemBody } from './schemas.js';

// Long operations (deploy, update, remove, attach a database...) run as jobs: the request that
// starts one answers at once with its id, and the client polls or long-polls GET /v1/jobs/{id}.
// In memory on purpose: a job is a view of work under way in this process; the work's outcome
// lives in the platform (the app's config and the swarm), which survive a restart.

export type JobRecord = Static<typeof Job>;
type Kind = Static<typeof JobKind>;

interface Entry {
  job: JobRecord;
  done: Promise<void>;
  /** Set on finish; for callers that want the raw error (the `?wait=true` path). */
  error?: unknown;
}

export interface JobRunnerOptions {
  /** Jobs that run at once over all apps (each app's jobs run one after another). */
  concurrency?: number;
  /** How long a finished job stays readable. */
  keepMs?: number;
  /** At most this many jobs are kept; the oldest finished ones go first. */
  maxJobs?: number;
  /** Progress lines kept per job. */
  maxProgress?: number;
  now?: () => Date;
}

export class JobRunner {
  readonly #jobs = new Map<string, Entry>();
  /** The last job queued per key (app or stack): the next one for that key waits for it. */
  readonly #tails = new Map<string, Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  #running = 0;
  readonly #concurrency: number;
  readonly #keepMs: number;
  readonly #maxJobs: number;
  readonly #maxProgress: number;
  readonly #now: () => Date;
  #onFinish: ((job: JobRecord, actor: string) => void) | undefined;

  constructor(options: JobRunnerOptions = {}) {
    this.#concurrency = options.concurrency ?? 2;
    this.#keepMs = options.keepMs ?? 60 * 60 * 1000;
    this.#maxJobs = options.maxJobs ?? 500;
    this.#maxProgress = options.maxProgress ?? 200;
    this.#now = options.now ?? (() => new Date());
  }

  /** Told of each job when it ends, with who started it (the event log records it). */
  onFinish(listener: (job: JobRecord, actor: string) => void): void {
    this.#onFinish = listener;
  }

  /** Queues `work`; jobs with the same key run in the order they were started. */
  start(kind: Kind, key: string, work: (progress: Progress) => Promise<JobRecord['result']>): JobRecord {
    this.#prune();
    const job: JobRecord = {
      id: randomUUID(),
      kind,
      app: key,
      state: 'queued',
      progress: [],
      createdAt: this.#now().toISOString(),
    };
    const entry: Entry = { job, done: Promise.resolve() };
    const actor = currentActor();
    const progress: Progress = (step) => {
      if (job.progress.length < this.#maxProgress) job.progress.push({ at: this.#now().toISOString(), step });
    };
    const previous = this.#tails.get(key) ?? Promise.resolve();
    entry.done = previous.then(() =>
      this.#slot(async () => {
        job.state = 'running';
        job.startedAt = this.#now().toISOString();
        try {
          const result = await work(progress);
          if (result !== undefined) job.result = result;
          job.state = 'succeeded';
        } catch (error) {
          entry.error = error;
          job.problem = problemOf(error);
          job.state = 'failed';
        } finally {
          job.finishedAt = this.#now().toISOString();
          this.#onFinish?.(job, actor);
        }
      }),
    );
    this.#tails.set(key, entry.done);
    void entry.done.then(() => {
      if (this.#tails.get(key) === entry.done) this.#tails.delete(key);
    });
    this.#jobs.set(job.id, entry);
    return job;
  }

  /**
   * Runs `work` in the key's queue without making a job: quick changes (a domain) wait for the
   * app's running job instead of racing it, and answer directly.
   */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(() => this.#slotValue(work));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  get(id: string): JobRecord | undefined {
    return this.#jobs.get(id)?.job;
  }

  /** Newest first, optionally only one app's. */
  list(key?: string): JobRecord[] {
    return [...this.#jobs.values()]
      .map((e) => e.job)
      .filter((j) => key === undefined || j.app === key)
      .reverse();
  }

  /** The job once finished, or as it is after `timeoutMs`. */
  async wait(id: string, timeoutMs: number): Promise<JobRecord | undefined> {
    const entry = this.#jobs.get(id);
    if (!entry) return undefined;
    if (timeoutMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([entry.done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    return entry.job;
  }

  /** Waits for the job to finish; resolves with its result or rejects with its error. */
  async outcome(id: string): Promise<JobRecord['result']> {
    const entry = this.#jobs.get(id);
    if (!entry) throw new Error(`no job ${id}`);
    await entry.done;
    if (entry.job.state === 'failed') throw entry.error;
    return entry.job.result;
  }

  /** Resolves when every job started so far has finished (for a graceful shutdown, and tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((e) => e.done));
  }

  async #slotValue<T>(run: () => Promise<T>): Promise<T> {
    let value!: T;
    await this.#slot(async () => {
      value = await run();
    });
    return value;
  }

  async #slot(run: () => Promise<void>): Promise<void> {
    if (this.#running >= this.#concurrency) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    try {
      await run();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }

  #prune(): void {
    const cutoff = this.#now().getTime() - this.#keepMs;
    const finished = [...this.#jobs.values()].filter((e) => e.job.finishedAt !== undefined);
    for (const e of finished) if (Date.parse(e.job.finishedAt!) < cutoff) this.#jobs.delete(e.job.id);
    const excess = this.#jobs.size - this.#maxJobs + 1;
    for (const e of finished.slice(0, Math.max(0, excess))) this.#jobs.delete(e.job.id);
  }
}

export type { ProblemBody };
