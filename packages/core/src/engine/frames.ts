// The Engine's multiplexed stream (container and service logs, exec without a TTY): frames of an
// 8-byte header [stream, 0, 0, 0, size as u32 big-endian] then `size` bytes. One parser for every
// reader of that stream (exec, throwaway containers, app logs), fed chunk by chunk, since a frame
// and even its header may be split across the socket's chunks.

export type StreamName = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  payload: Buffer;
}

const NAMES: Record<number, StreamName> = { 0: 'stdin', 1: 'stdout', 2: 'stderr' };

/** Incremental: push() each chunk as it arrives, get back the frames it completed. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (at + 8 <= this.pending.length) {
      const size = this.pending.readUInt32BE(at + 4);
      if (at + 8 + size > this.pending.length) break;
      frames.push({
        stream: NAMES[this.pending[at]!] ?? 'stdout',
        payload: this.pending.subarray(at + 8, at + 8 + size),
      });
      at += 8 + size;
    }
    // Keep only the unfinished tail (copied, so the consumed chunks can be collected).
    this.pending = at === 0 ? this.pending : Buffer.from(this.pending.subarray(at));
    return frames;
  }

  /** Bytes of a frame not complete yet (a stream that ends with some was cut short). */
  get buffered(): number {
    return this.pending.length;
  }
}

/** Whether a whole buffer is framed at all: a service or container with a TTY sends plain text. */
export function looksFramed(buffer: Buffer): boolean {
  return buffer.length >= 8 && buffer[0]! <= 2 && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
}

/** Every frame of a complete buffer. */
export function readFrames(buffer: Buffer): Frame[] {
  return new FrameReader().push(buffer);
}

/** A complete buffer as text, stdout and stderr in the order they were written; plain text as is. */
export function framedText(buffer: Buffer): string {
  if (!looksFramed(buffer)) return buffer.toString('utf8');
  return Buffer.concat(readFrames(buffer).map((f) => f.payload)).toString('utf8');
}
