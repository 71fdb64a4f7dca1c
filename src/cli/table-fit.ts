/**
 * Column widths that fit a table into the terminal (issue 18: `info` was 156 columns at
 * COLUMNS=60). The width is COLUMNS, else the terminal's, else none (a pipe or file: no limit).
 * The widest columns give way first, down to 4 characters (then 3, one character of text), and
 * cli-table3 wraps their cells; columns are never dropped.
 */
import Table from 'cli-table3';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string): number =>
  Math.max(
    0,
    ...s
      .replace(ANSI, '')
      .split('\n')
      .map((l) => l.length),
  );

export function terminalWidth(): number | undefined {
  const env = Number(process.env.COLUMNS);
  if (Number.isInteger(env) && env > 0) return env;
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
}

/** Options to spread into `new Table(...)`: {} when the table fits or no width is known. */
export function fitTable(head: string[], rows: string[][], width = terminalWidth()): { colWidths?: number[]; wordWrap?: boolean; wrapOnWordBoundary?: boolean } {
  if (width === undefined) return {};
  const w = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))) + 2);
  const total = (): number => w.reduce((a, b) => a + b, 0) + w.length + 1;
  if (total() <= width) return {};
  // Headings wrap before data does, between words first: no column narrower than its widest cell
  // and the longest word of its heading, then than its widest cell, then 4, then 3.
  const cells = head.map((_, i) => Math.max(0, ...rows.map((r) => visible(r[i] ?? ''))) + 2);
  const words = head.map(
    (h) =>
      Math.max(
        0,
        ...h
          .replace(ANSI, '')
          .split(/\s+/)
          .map((x) => x.length),
      ) + 2,
  );
  for (const floor of [(i: number) => Math.max(cells[i], words[i], 4), (i: number) => Math.max(cells[i], 4), () => 4, () => 3]) {
    while (total() > width) {
      let widest = -1;
      for (let i = 0; i < w.length; i++) if (w[i] > floor(i) && (widest < 0 || w[i] > w[widest])) widest = i;
      if (widest < 0) break;
      w[widest]--;
    }
  }
  return { colWidths: w, wordWrap: true, wrapOnWordBoundary: false };
}

/**
 * A cli-table3 table that fits the terminal: rows are collected and the column widths chosen when
 * it is printed (fitTable). `indent` is what the caller puts before every line.
 */
export class FitTable {
  private readonly rows: string[][] = [];
  constructor(
    private readonly head: string[],
    private readonly indent = 0,
  ) {}

  push(...rows: unknown[][]): void {
    for (const r of rows) this.rows.push(r.map((c) => String(c)));
  }

  toString(): string {
    const width = terminalWidth();
    const fit = fitTable(this.head, this.rows, width === undefined ? undefined : Math.max(20, width - this.indent));
    const w = fit.colWidths;
    if (!w) {
      const t = new Table({ head: this.head, style: { head: [], border: [] } });
      t.push(...this.rows);
      return t.toString();
    }
    // Cells are wrapped here, colour codes kept whole (cli-table3's own wrapping counts them as
    // text and cuts them); cli-table3 then carries colours across the lines of a cell.
    const t = new Table({ head: this.head.map((h, i) => wrapCell(h, w[i] - 2)), style: { head: [], border: [] }, colWidths: w, wordWrap: false });
    t.push(...this.rows.map((r) => r.map((c, i) => wrapCell(c, w[i] - 2))));
    return t.toString();
  }
}

const TABLE_LINE = /^\s*[┌│├└]/;

/**
 * Human text that fits the terminal: a line wider than `width` (COLUMNS, else the terminal's; no
 * limit in a pipe or file) breaks at its last space that fits, and its continuation lines are
 * indented two more than the line; a word longer than the width is cut. Table lines (drawn by
 * FitTable, already fitted) are left alone. Never used for JSON.
 */
export function fitText(text: string, width = terminalWidth()): string {
  if (width === undefined) return text;
  const w = Math.max(20, width);
  return text
    .split('\n')
    .map((line) =>
      TABLE_LINE.test(line) || visible(line) <= w ? line : wrapLine(line, w, ' '.repeat(Math.min(/^ */.exec(line.replace(ANSI, ''))![0].length + 2, Math.floor(w / 2)))),
    )
    .join('\n');
}

/** A table cell's text broken into lines of at most `width` visible characters (between words where it can). */
function wrapCell(cell: string, width: number): string {
  return cell
    .split('\n')
    .map((l) => (visible(l) <= width ? l : wrapLine(l, width, '')))
    .join('\n');
}

function wrapLine(line: string, width: number, indent: string): string {
  const out: string[] = [];
  let rest = line;
  let prefix = '';
  while (visible(prefix + rest) > width) {
    const room = width - prefix.length;
    // Walk visible characters (skipping colour codes) to the cut: the last space within `room`.
    let seen = 0;
    let cut = -1;
    let hard = rest.length;
    for (let i = 0; i < rest.length;) {
      // eslint-disable-next-line no-control-regex
      const m = rest[i] === '\u001b' ? /^\u001b\[[0-9;]*m/.exec(rest.slice(i)) : null;
      if (m) {
        i += m[0].length;
        continue;
      }
      if (seen === room) {
        hard = i;
        break;
      }
      if (rest[i] === ' ' && seen > 0 && seen <= room) cut = i;
      seen++;
      i++;
    }
    const at = cut > 0 ? cut : hard;
    out.push(prefix + rest.slice(0, at).trimEnd());
    rest = rest.slice(at).replace(/^ +/, '');
    prefix = indent;
  }
  out.push(prefix + rest);
  return out.join('\n');
}
