/**
 * One error tree for the whole toolkit. Each error can carry the file and byte position it is
 * about; the CLI turns them into one stderr line and an exit code (docs: OUTPUT.md).
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
  /** Process exit code the CLI uses for this error (OUTPUT.md). */
  readonly exitCode: number;

  constructor(code: string, message: string, exitCode: number, where: ErrorLocation = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
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

/** Bytes on disk do not follow the format. Exit code 3. */
export class CorruptDataError extends KsegError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, 3, where);
  }
}

/** Bad flags or arguments. Exit code 2. */
export class UsageError extends KsegError {
  constructor(message: string, code = 'USAGE') {
    super(code, message, 2);
  }
}

/** Missing file, permission, disk full, locked directory. Exit code 4. */
export class IoError extends KsegError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, 4, where);
  }
}

/** A lookup found nothing (offset or timestamp out of range). Exit code 1. */
export class NotFoundError extends KsegError {
  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(code, message, 1, where);
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
