import { isIssueCode, severityOf, type IssueCodeName, type Severity } from './codes.js';

export interface VerifyIssue {
  severity: Severity;
  code: string;
  /** File name within its partition directory. */
  file: string;
  /** Byte position in that file (for index problems: of the entry), or null for whole-file issues. */
  position: number | null;
  offset: number | null;
  message: string;
  /** Partition directory (only when one run covers several partitions). */
  partition?: string;
}

/** An issue as the Reporter holds it: its code is one of ISSUE_CODES. */
export interface ReportedIssue extends VerifyIssue {
  code: IssueCodeName;
}

export interface VerifySummary {
  segments: number;
  batches: number;
  records: number;
  bytes: number;
}

export interface Recoverable {
  file: string;
  truncateAtPosition: number;
  recordsLost: number;
  /** Present (true) when part of recordsLost was estimated from offsets (an unframeable region). */
  recordsLostEstimated?: boolean;
  partition?: string;
}

/** A CRC as findings print it: 0x and eight hex digits. */
export const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(8, '0');

/** Collects issues, applying the file filter, the per-run cap and --strict. */
export class Reporter {
  readonly issues: ReportedIssue[] = [];
  errors = 0;
  warnings = 0;
  infos = 0;
  omitted = 0;
  /** Codes per file (for recover: which segments need an index rebuild). */
  readonly byFile = new Map<string, Set<IssueCodeName>>();

  constructor(
    private readonly filter: Set<string> | null,
    private readonly maxIssues: number,
  ) {}

  add(code: IssueCodeName, file: string, position: number | null, offset: number | null, message: string): void {
    if (this.filter && !this.filter.has(file)) return;
    const severity = severityOf(code);
    if (severity === 'error') this.errors++;
    else if (severity === 'warning') this.warnings++;
    else this.infos++;
    let set = this.byFile.get(file);
    if (!set) this.byFile.set(file, (set = new Set()));
    set.add(code);
    if (this.issues.length >= this.maxIssues) {
      this.omitted++;
      return;
    }
    this.issues.push({ severity, code, file, position, offset, message });
  }

  /**
   * An issue from a thrown KsegError: its own code when it is one of ISSUE_CODES (format/ throws
   * SIZE_TOO_SMALL, BAD_MAGIC, DECOMPRESSION_ERROR, ...), else `fallback`.
   */
  addError(e: { code: string; message: string }, fallback: IssueCodeName, file: string, position: number | null, offset: number | null): void {
    this.add(isIssueCode(e.code) ? e.code : fallback, file, position, offset, e.message);
  }

  /** Every issue listed by `other` (its cap applied first, then this one's). */
  addAll(other: Reporter): void {
    for (const i of other.issues) this.add(i.code, i.file, i.position, i.offset, i.message);
  }
}
