import { Command } from 'commander';

/**
 * The commander Command kseg's program and its commands are made of. A command's action returns
 * its exit status as data (`EXIT.notFound` when verify found errors, grep matched nothing, ...) or
 * nothing (success); the program keeps it in `exitStatus` for the entry (main.ts), the only place
 * that sets the process's exit code. Errors are thrown, and main.ts maps them (exit-codes.ts).
 */
export class KsegCommand extends Command {
  /** What the action that ran returned (on the program, the root command); undefined: none, or it returned nothing. */
  exitStatus: number | undefined;

  /** Add a group of options shared with other commands (options.ts: decoderOptions(), offsetRangeOptions(), ...) here in the chain. */
  with(group: (cmd: this) => this): this {
    return group(this);
  }

  override createCommand(name?: string): KsegCommand {
    return new KsegCommand(name);
  }

  /** commander's action(), with the handler's returned status (a number, or a promise of one) kept on the root command. */
  override action(fn: (this: KsegCommand, ...args: any[]) => number | void | Promise<number | void>): this {
    const keep = (status: number | void): void => {
      if (typeof status !== 'number') return;
      let root: Command = this;
      while (root.parent) root = root.parent;
      if (root instanceof KsegCommand) root.exitStatus = status;
    };
    return super.action(function (this: KsegCommand, ...args: any[]) {
      const r = fn.apply(this, args);
      if (r instanceof Promise) return r.then(keep);
      keep(r);
    });
  }
}

/** A kseg command: its name, the summary `kseg --help` lists and the module that registers it (command-list.ts). */
export interface CommandSpec {
  name: string;
  summary: string;
  /** `commands` is the whole list, for `kseg completion`. */
  load: () => Promise<{ register(program: KsegCommand, commands: readonly CommandSpec[]): void }>;
}
