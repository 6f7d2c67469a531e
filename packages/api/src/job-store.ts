import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@minicloud/core';
import type { JobRecord } from './jobs.js';

// The jobs' file (state/jobs.jsonl): what a job was, who started it and how far it got, so that
// a job the API was running when it died is reported as interrupted on the next start, and
// finished jobs are still answered. One JSON object per line, each a change to one job (its
// first line the whole job, then a progress step or a new state), appended as it happens;
// rewritten as one line per job, the newest `max` finished ones and every unfinished one, once
// it holds more than 4 x `max` lines: a bounded file, however many jobs a year runs.
//
// Only what the list of jobs shows is kept, never a job's result (an app's status, a backup's
// summary: the platform has them) and never anything the job's work was given: a job's
// fields are picked one by one, so a field added to JobRecord later is not written by accident.

/** A job as kept: its record without the result, and who started it. */
export type StoredJob = Omit<JobRecord, 'result'> & { actor: string };

type Line = { id: string } & (
  | { job: StoredJob }
  | { step: JobRecord['progress'][number] }
  | { change: Pick<StoredJob, 'state' | 'startedAt' | 'finishedAt' | 'problem'> }
);

export function storedJob(job: JobRecord, actor: string): StoredJob {
  return {
    id: job.id,
    kind: job.kind,
    ...(job.app !== undefined ? { app: job.app } : {}),
    state: job.state,
    progress: job.progress.map(({ at, step }) => ({ at, step })),
    createdAt: job.createdAt,
    ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    ...(job.problem !== undefined ? { problem: job.problem } : {}),
    actor,
  };
}

function apply(jobs: Map<string, StoredJob>, line: Line): void {
  if ('job' in line) {
    jobs.set(line.id, line.job);
    return;
  }
  const job = jobs.get(line.id);
  if (!job) return;
  if ('step' in line) job.progress.push(line.step);
  else Object.assign(job, line.change);
}

export class JobFile {
  #lines: number;
  /** Appends and rewrites one after another, in the order the changes happened. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly max: number,
    /** The jobs as the file says, oldest first. */
    private readonly jobs: Map<string, StoredJob>,
    lines: number,
    private readonly onError: (error: Error) => void,
  ) {
    this.#lines = lines;
  }

  static async open(
    file: string,
    options: { max: number; onError?: (error: Error) => void },
  ): Promise<{ store: JobFile; jobs: StoredJob[] }> {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    const jobs = new Map<string, StoredJob>();
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines++;
      try {
        apply(jobs, JSON.parse(line) as Line);
      } catch {
        // A line cut short by the crash this file is for: the lines before it still count.
      }
    }
    const store = new JobFile(file, options.max, jobs, lines, options.onError ?? (() => undefined));
    return { store, jobs: [...jobs.values()].map((j) => structuredClone(j)) };
  }

  added(job: JobRecord, actor: string): void {
    this.#write({ id: job.id, job: storedJob(job, actor) });
  }

  step(id: string, step: JobRecord['progress'][number]): void {
    this.#write({ id, step: { at: step.at, step: step.step } });
  }

  changed(job: JobRecord): void {
    const change: Extract<Line, { change: unknown }>['change'] = { state: job.state };
    if (job.startedAt !== undefined) change.startedAt = job.startedAt;
    if (job.finishedAt !== undefined) change.finishedAt = job.finishedAt;
    if (job.problem !== undefined) change.problem = job.problem;
    this.#write({ id: job.id, change });
  }

  /** Resolves once every change so far is on disk (or failed to be, reported to onError). */
  flush(): Promise<void> {
    return this.#writing;
  }

  #write(line: Line): void {
    apply(this.jobs, structuredClone(line));
    this.#lines++;
    // The rewrite's text is taken now, so that the appends queued before it land first and
    // none queued after it is in it twice.
    const rewrite = this.#lines > 4 * this.max ? this.#compacted() : undefined;
    const text = `${JSON.stringify(line)}\n`;
    this.#writing = this.#writing
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
        if (rewrite !== undefined) await writeFileAtomic(this.file, rewrite, 0o600);
        else await appendFile(this.file, text, { mode: 0o600 });
      })
      .catch((error: Error) => this.onError(error));
  }

  /** One line per kept job: every unfinished one, and the newest `max` finished ones. */
  #compacted(): string {
    const finished = [...this.jobs.values()].filter((j) => j.finishedAt !== undefined);
    for (const old of finished.slice(0, Math.max(0, finished.length - this.max))) this.jobs.delete(old.id);
    this.#lines = this.jobs.size;
    return [...this.jobs.values()].map((job) => `${JSON.stringify({ id: job.id, job } satisfies Line)}\n`).join('');
  }
}
