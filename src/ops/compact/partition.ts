/**
 * Moved to ops/partition-state.ts. Kept only for src/cli/commands/truncate.ts's type import (a file
 * this change may not edit): delete at merge once that import reads '../../ops/partition-state.js'.
 */
export type { Summary } from '../partition-state.js';
