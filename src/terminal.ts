/** Terminal output helpers: aligned tables and a progress bar that degrades to lines when not a TTY. */
export function printTable(
  header: string[],
  rows: string[][],
  out: NodeJS.WritableStream = process.stdout,
): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  out.write(`${line(header)}\n`);
  for (const r of rows) out.write(`${line(r)}\n`);
}

export function progressBar(label: string, done: number, total: number | undefined, width = 30): string {
  if (!total) return `${label} ${done}`;
  const ratio = Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} (${(ratio * 100).toFixed(0)}%)`;
}

export class Progress {
  private lastLine = 0;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}
  update(text: string): void {
    if (this.stream.isTTY) this.stream.write(`\r${text}\x1b[K`);
    else if (Date.now() - this.lastLine > 2000) {
      this.stream.write(`${text}\n`);
      this.lastLine = Date.now();
    }
  }
  done(text: string): void {
    if (this.stream.isTTY) this.stream.write(`\r${text}\x1b[K\n`);
    else this.stream.write(`${text}\n`);
  }
}

export const money = (n: number) =>
  n.toLocaleString('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2 });
