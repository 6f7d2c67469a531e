import type { Frame } from '../engine/frames.js';

// One line of an app's logs as the Engine sends it for a service with `timestamps` and `details`:
//   2026-11-26T16:34:06.473958052Z com.docker.swarm.node.id=N,com.docker.swarm.service.id=S,com.docker.swarm.task.id=T message
// (the details are the swarm's own attributes, so every line says which task and node wrote it,
// which is what merges the logs of several tasks on several nodes into one readable stream).

export interface AppLogLine {
  /** RFC 3339 with nanoseconds, as the Engine wrote it (sorts as text within one day's format). */
  time: string;
  /** The app's service: `web` or a runner's name. */
  service: string;
  /** `web.1`: the service and the task's slot, as `docker service logs` names it. */
  task: string;
  /** The node's hostname (its id when the node is gone). */
  node: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** Ids as they appear in a line, before they are turned into names. */
export interface RawLogLine {
  time: string;
  nodeId: string;
  taskId: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

const STAMPED = /^(\d{4}-\d\d-\d\dT\S+Z) (\S*) ?(.*)$/s;

function details(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1));
  }
  return out;
}

/**
 * The lines of one frame (a frame usually holds one line; a long one may hold a part of it).
 * A frame without the swarm's attributes (a service started with a TTY) keeps its text whole.
 */
export function parseLogFrame(frame: Frame): RawLogLine[] {
  const stream = frame.stream === 'stderr' ? 'stderr' : 'stdout';
  const out: RawLogLine[] = [];
  for (const text of frame.payload.toString('utf8').split('\n')) {
    if (text === '') continue;
    const match = STAMPED.exec(text);
    if (!match || !match[2]!.includes('com.docker.swarm.')) {
      out.push({ time: '', nodeId: '', taskId: '', stream, line: text });
      continue;
    }
    const attrs = details(match[2]!);
    out.push({
      time: match[1]!,
      nodeId: attrs['com.docker.swarm.node.id'] ?? '',
      taskId: attrs['com.docker.swarm.task.id'] ?? '',
      stream,
      line: match[3]!,
    });
  }
  return out;
}

/**
 * Oldest first across every task. Engine timestamps are fixed-width only up to their nanoseconds,
 * which Go trims of trailing zeros, so compare as instants (ms) and then as text.
 */
export function byTime(a: { time: string }, b: { time: string }): number {
  const d = Date.parse(a.time) - Date.parse(b.time);
  if (d !== 0 && !Number.isNaN(d)) return d;
  return a.time < b.time ? -1 : a.time > b.time ? 1 : 0;
}

/**
 * `--since`: a duration back from now (`90s`, `10m`, `2h`, `1h30m`, `3d`) or an RFC 3339 time;
 * undefined for anything else, so the caller can name the field.
 */
export function parseSince(text: string, now: Date, toNanos: (d: string) => number | undefined): Date | undefined {
  const days = /^(\d+)d$/.exec(text);
  if (days) return new Date(now.getTime() - Number(days[1]) * 86_400_000);
  const nanos = /^[0-9.]/.test(text) && !text.includes('-') ? toNanos(text) : undefined;
  if (nanos !== undefined && nanos > 0) return new Date(now.getTime() - nanos / 1e6);
  if (/^\d{4}-\d\d-\d\dT/.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return new Date(at);
  }
  return undefined;
}
