/**
 * One error tree for the whole toolkit. Each error can carry the file and byte position it is
 * about. Its kind (the class) and `code` say what went wrong; the CLI turns them into one stderr
 * line and an exit code (its table: cli/exit-codes.ts; docs: OUTPUT.md).
 */
export interface ErrorLocation {
  file?: string;
  position?: number;
}

export class KsegError extends Error {
  /** Stable identifier, e.g. `CRC_MISMATCH`, `USAGE`, `ENOENT`. */
  readonly code: string;
  file?: string;
  position?: number;

  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.file = where.file;
    this.position = where.position;
  }

  /** Fill in the location when an inner layer (which knows no file names) raised the error. */
  at(where: ErrorLocation): this {
    if (this.file === undefined && where.file !== undefined) this.file = where.file;
    if (this.position === undefined && where.position !== undefined) this.position = where.position;
    return this;
  }
}

/** Bytes on disk do not follow the format (the CLI: exit code 3). */
export class CorruptDataError extends KsegError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, where);
  }
}

/** Bad flags or arguments (exit code 2). */
export class UsageError extends KsegError {
  constructor(message: string, code = 'USAGE') {
    super(code, message);
  }
}

/** Missing file, permission, disk full, locked directory (exit code 4). */
export class IoError extends KsegError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, where);
  }
}

/** A lookup found nothing (offset or timestamp out of range; exit code 1). */
export class NotFoundError extends KsegError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, where);
  }
}

/** Not the input's fault: a worker thread failed, an invariant broke (exit code 70). */
export class InternalError extends KsegError {
  constructor(message: string, code = 'INTERNAL') {
    super(code, message);
  }
}

/** Wrap a Node fs error into an IoError naming the file. */
export function ioError(err: unknown, file: string): KsegError {
  if (err instanceof KsegError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? 'EIO';
  const what: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on device',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EROFS: 'read-only file system',
  };
  return new IoError(code, what[code] ?? (e?.message || String(err)), { file });
}
