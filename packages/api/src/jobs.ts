import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { MinicloudError, type Progress } from '@minicloud/core';
import { currentActor } from './actor.js';
import { JobFile } from './job-store.js';
import { problemOf } from './problem.js';
import type { Job, JobKind, ProblemBody } from './schemas.js';

// Long operations (deploy, update, remove, attach a database...) run as jobs: the request that
// starts one answers at once with its id, and the client polls or long-polls GET /v1/jobs/{id}.
// The work's outcome lives in the platform (the app's config and the swarm); the jobs
// themselves are kept in a file when the runner is opened on one (JobRunner.open), so that a
// job the API was running when it stopped is reported as interrupted, with the step it
// reached, instead of vanishing, and finished jobs are still answered after a restart.

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
  /** A write of the jobs' file failed (JobRunner.open): the jobs run on regardless. */
  onStoreError?: (error: Error) => void;
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
  #store: JobFile | undefined;
  /** Jobs found cut short when the runner was opened, for the first onFinish listener. */
  #interrupted: { job: JobRecord; actor: string }[] = [];

  constructor(options: JobRunnerOptions = {}) {
    this.#concurrency = options.concurrency ?? 2;
    this.#keepMs = options.keepMs ?? 60 * 60 * 1000;
    this.#maxJobs = options.maxJobs ?? 500;
    this.#maxProgress = options.maxProgress ?? 200;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * A runner whose jobs are kept in `file` (state/jobs.jsonl): the jobs an earlier process left
   * are read back, and those it left queued or running are marked interrupted.
   */
  static async open(file: string, options: JobRunnerOptions = {}): Promise<JobRunner> {
    const runner = new JobRunner(options);
    const { store, jobs } = await JobFile.open(file, {
      max: runner.#maxJobs,
      ...(options.onStoreError ? { onError: options.onStoreError } : {}),
    });
    for (const stored of jobs) {
      const { actor, ...job } = stored;
      if (job.state === 'queued' || job.state === 'running') {
        runner.#interrupt(job);
        store.changed(job);
        runner.#interrupted.push({ job, actor });
      }
      runner.#jobs.set(job.id, { job, done: Promise.resolve() });
    }
    runner.#store = store;
    runner.#prune();
    return runner;
  }

  /** Told of each job when it ends, with who started it (the event log records it). */
  onFinish(listener: (job: JobRecord, actor: string) => void): void {
    this.#onFinish = listener;
    for (const { job, actor } of this.#interrupted.splice(0)) listener(job, actor);
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
    this.#store?.added(job, actor);
    const progress: Progress = (step) => {
      if (job.progress.length >= this.#maxProgress) return;
      const line = { at: this.#now().toISOString(), step };
      job.progress.push(line);
      this.#store?.step(job.id, line);
    };
    const previous = this.#tails.get(key) ?? Promise.resolve();
    entry.done = previous.then(() =>
      this.#slot(async () => {
        job.state = 'running';
        job.startedAt = this.#now().toISOString();
        this.#store?.changed(job);
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
          this.#store?.changed(job);
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
    const { state, problem } = entry.job;
    if (state === 'failed' || state === 'interrupted') {
      // A job read back from the file has its problem but not the error it came from.
      const detail = (problem as { detail?: string } | undefined)?.detail ?? 'the job did not succeed';
      throw entry.error ?? new MinicloudError(state === 'interrupted' ? 'MC_JOB_INTERRUPTED' : 'MC_INTERNAL', detail);
    }
    return entry.job.result;
  }

  /**
   * Resolves when every job started so far has finished and the jobs' file has every change
   * (for a graceful shutdown, and tests).
   */
  async idle(): Promise<void> {
    await Promise.all([...this.#jobs.values()].map((e) => e.done));
    await this.#store?.flush();
  }

  /** Marks a job an earlier process left queued or running as interrupted, at the step it reached. */
  #interrupt(job: JobRecord): void {
    const last = job.progress.at(-1)?.step;
    const detail =
      job.state === 'queued'
        ? 'the API stopped before this job started: nothing of it ran; start it again'
        : `the API stopped while this job was running${last ? `, after its step "${last}"` : ', before its first step'}: ` +
          `check ${job.app ? `the state of ${job.app}` : 'what it worked on'} and run the operation again`;
    job.state = 'interrupted';
    job.finishedAt = this.#now().toISOString();
    job.problem = problemOf(new MinicloudError('MC_JOB_INTERRUPTED', detail));
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
