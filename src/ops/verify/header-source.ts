import fs from 'node:fs';
import { checkRange, openForRead, preadFully, type ByteSource } from '../../storage/source.js';

/**
 * The main thread's reader while workers check the batch bodies: it needs batch headers only, and a
 * positional read of a few bytes costs far less than faulting a page into a mapping. Reads far
 * apart (large batches) fetch only what is asked (at least 1 KiB, from the shared pool); reads close together (small
 * batches) fetch 256 KiB blocks. Views stay valid: buffers are never reused.
 */
export class HeaderSource implements ByteSource {
  readonly kind = 'pread' as const;
  bytesRequested = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufPos = 0;
  private lastEnd = 0;
  private closed = false;
  readonly size: number;
  private readonly fd: number;

  constructor(readonly path: string) {
    ({ fd: this.fd, size: this.size } = openForRead(path));
  }

  read(pos: number, len: number): Buffer {
    checkRange(this, pos, len);
    this.bytesRequested += len;
    const near = pos >= this.lastEnd && pos - this.lastEnd < 16384;
    this.lastEnd = pos + len;
    if (pos >= this.bufPos && pos + len <= this.bufPos + this.buf.length) return this.buf.subarray(pos - this.bufPos, pos - this.bufPos + len);
    const want = Math.min(Math.max(len, near ? 256 * 1024 : 1024), this.size - pos);
    const buf = Buffer.allocUnsafe(want);
    preadFully(this.fd, this.path, buf, pos);
    this.buf = buf;
    this.bufPos = pos;
    return buf.subarray(0, len);
  }

  close(): void {
    if (!this.closed) {
      this.closed = true;
      fs.closeSync(this.fd);
    }
  }
}
