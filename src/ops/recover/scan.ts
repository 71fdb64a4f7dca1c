/**
 * The partition scan recover builds on. This is the ONE place recover/ imports it from: it lives in
 * ops/verify.ts today and moves out of verify (issue 13); only this file changes then.
 */
export { ISSUE_CODES, scanPartition, viewOf, type PartitionScan, type PartitionView, type SegmentScan, type VerifyIssue, type VerifySummary } from '../verify.js';
