import type { PartitionReportData, ReportData } from '../ops/report.js';

/**
 * The `kseg report` page: one self-contained HTML file (inline CSS and SVG, no script, no network).
 * Every string from the data goes through esc(): keys, file names and messages are arbitrary bytes.
 */
export function esc(s: string | number): string {
  return (
    String(s)
      .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
      // C0 controls other than tab/newline have no place in a page
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  );
}

export function human(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${u[i]}`;
}

const plural = (n: number, w: string) => `${n.toLocaleString('en-US')} ${w}${n === 1 ? '' : 's'}`;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#b8c0cf}
main{padding:16px 28px;max-width:1400px}
section.partition{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px 20px;margin:0 0 20px}
h2{margin:0 0 8px;font-size:18px}h3{margin:18px 0 6px;font-size:15px;color:#38415a}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}
.card{border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;min-width:120px}.card b{display:block;font-size:18px}.card span{color:#5d6780;font-size:12px}
.ok{color:#137a3a}.bad{color:#b3261e}.warn{color:#9a6200}
table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{border-bottom:1px solid #e6e9ef;padding:3px 10px;text-align:right;white-space:nowrap}
th{background:#f0f2f6;color:#38415a}td.l,th.l{text-align:left;white-space:normal}
svg text{font:11px system-ui,sans-serif;fill:#38415a}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-2px;border-radius:2px}
.note{color:#5d6780;font-size:12px}
`;

export function renderReportHtml(r: ReportData): string {
  const title = `kseg report: ${r.input}`;
  const body = r.partitions.map((p, i) => partitionSection(p, i)).join('\n');
  const skipped = r.skipped.length
    ? `<p class="note" id="skipped">${esc(plural(r.skipped.length, 'more partition'))} not shown (only the largest are reported; raise --max-partitions): ${esc(r.skipped.slice(0, 50).join(', '))}${r.skipped.length > 50 ? ' …' : ''}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1 id="title">${esc(title)}</h1><p>${esc(r.kind === 'log-dir' ? `log dir, ${plural(r.partitions.length, 'partition')} shown` : 'one partition')} · generated ${esc(iso(r.generatedAt))} by kseg</p></header>
<main>${r.kind === 'log-dir' ? overview(r) : ''}${skipped}
${body}
</main></body></html>
`;
}

function partitionSection(p: PartitionReportData, idx: number): string {
  const inf = p.info;
  const v = p.verify;
  const verdict = v.errors > 0 ? `<b class="bad">${esc(plural(v.errors, 'error'))}</b>` : `<b class="ok">ok</b>`;
  const comp = 'error' in p.compaction ? null : p.compaction;
  const cards = [
    ['log offsets', `${inf.logStartOffset ?? '-'}..${inf.logEndOffset ?? '-'}`, 'start..end (exclusive)'],
    ['segments', String(inf.segments.length), plural(inf.batches, 'batch').replace('batchs', 'batches')],
    ['records', inf.records.toLocaleString('en-US'), 'in all segments'],
    ['bytes', human(inf.bytes), `${inf.bytes.toLocaleString('en-US')} B`],
    ['distinct keys', `${p.keys.distinct.toLocaleString('en-US')}${p.keys.capped ? '+' : ''}`, `${plural(p.keys.unkeyed, 'record')} without key`],
    ['compaction would reclaim', comp ? human(comp.bytesReclaimed) : 'n/a', comp ? `${plural(comp.recordsRemoved, 'record')}` : 'dry run failed'],
  ];
  const cardHtml = cards.map(([k, val, sub]) => `<div class="card"><span>${esc(k!)}</span><b>${esc(val!)}</b><span>${esc(sub!)}</span></div>`).join('');
  const id = `p${idx}`;
  return `<section class="partition" id="${id}" data-partition="${esc(p.name)}">
<h2>${esc(p.name)} <span class="note">${esc(p.dir)}</span></h2>
<div class="cards"><div class="card"><span>verify</span>${verdict}<span>${esc(plural(v.warnings, 'warning'))}</span></div>${cardHtml}</div>
<h3>Segment timeline</h3>
${timeline(p, id)}
<h3>Records and bytes per minute</h3>
${perMinute(p, id)}
<h3>Codec and magic mix</h3>
${mixTable(p, id)}
<h3>Keys and compaction</h3>
${keysTable(p, id)}
<h3>Verify findings</h3>
${findingsTable(p, id)}
<h3>Segments</h3>
${segmentTable(p, id)}
</section>`;
}

/** Offsets on x; one bar per segment (height by bytes), gaps in red, compacted segments hatched, findings as markers. */
function timeline(p: PartitionReportData, id: string): string {
  const segs = p.info.segments;
  if (segs.length === 0) return `<p class="note" id="${id}-timeline">no segments</p>`;
  const W = 1100;
  const H = 150;
  const left = 10;
  const top = 26;
  const barMax = 80;
  const lo = segs[0]!.baseOffset;
  const hi = Math.max(lo + 1, segs[segs.length - 1]!.nextOffset);
  const maxBytes = Math.max(1, ...segs.map((s) => s.bytes));
  const x = (o: number) => left + ((o - lo) / (hi - lo)) * (W - 2 * left);
  const compacted = new Set(p.compactedRanges.map((c) => c.file));
  const parts: string[] = [];
  parts.push(
    `<defs><pattern id="${id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#7aa7e0"/><line x1="0" y1="0" x2="0" y2="6" stroke="#2f5f9e" stroke-width="2"/></pattern></defs>`,
  );
  segs.forEach((s, i) => {
    const x0 = x(s.baseOffset);
    const w = Math.max(2, x(Math.max(s.nextOffset, s.baseOffset + 1)) - x0 - 1);
    const h = Math.max(3, (s.bytes / maxBytes) * barMax);
    const bad = p.verify.findings.some((f) => f.segmentBaseOffset === s.baseOffset && f.severity === 'error');
    const fill = compacted.has(s.file) ? `url(#${id}-hatch)` : i === segs.length - 1 ? '#4c8be0' : '#7aa7e0';
    parts.push(
      `<rect class="segment" data-base="${s.baseOffset}" x="${x0.toFixed(1)}" y="${(top + barMax - h).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${fill}" stroke="${bad ? '#b3261e' : '#2f5f9e'}" stroke-width="${bad ? 2 : 0.5}"><title>${esc(`${s.file}\noffsets ${s.baseOffset}..${s.nextOffset - 1}\n${plural(s.records, 'record')}, ${human(s.bytes)} (${s.bytes} B)${compacted.has(s.file) ? '\ncompacted: fewer records than offsets' : ''}`)}</title></rect>`,
    );
  });
  for (const g of p.gaps) {
    parts.push(
      `<rect class="gap" x="${x(g.from).toFixed(1)}" y="${top}" width="${Math.max(2, x(g.to) - x(g.from)).toFixed(1)}" height="${barMax}" fill="#f4c7c3" stroke="#b3261e" stroke-dasharray="3 2"><title>${esc(`gap: offsets ${g.from}..${g.to - 1} in no segment`)}</title></rect>`,
    );
  }
  for (const f of p.verify.findings) {
    const seg = segs.find((s) => s.baseOffset === f.segmentBaseOffset);
    const off = f.offset ?? seg?.baseOffset ?? lo;
    const cx = x(Math.min(Math.max(off, lo), hi));
    const color = f.severity === 'error' ? '#b3261e' : f.severity === 'warning' ? '#d68a00' : '#5d6780';
    parts.push(
      `<path class="finding" data-code="${esc(f.code)}" d="M${cx.toFixed(1)} ${top - 2} l-6 -12 h12 z" fill="${color}"><title>${esc(`${f.severity} ${f.code} ${f.file}${f.position !== null ? ` @${f.position}` : ''}${f.offset !== null ? ` offset ${f.offset}` : ''}: ${f.message}`)}</title></path>`,
    );
  }
  const axisY = top + barMax + 14;
  parts.push(`<line x1="${left}" y1="${top + barMax + 2}" x2="${W - left}" y2="${top + barMax + 2}" stroke="#8a93a6"/>`);
  parts.push(`<text x="${left}" y="${axisY}">${lo}</text><text x="${W - left}" y="${axisY}" text-anchor="end">${hi}</text>`);
  const labelEvery = Math.max(1, Math.ceil(segs.length / 12));
  segs.forEach((s, i) => {
    if (i % labelEvery !== 0 || i === 0) return;
    parts.push(`<text x="${x(s.baseOffset).toFixed(1)}" y="${axisY + 14}" text-anchor="middle">${s.baseOffset}</text>`);
  });
  parts.push(`<text x="${W / 2}" y="${H - 4}" text-anchor="middle">offset →  (bar height: segment bytes, largest ${esc(human(maxBytes))})</text>`);
  const legend = `<div class="legend"><span><i style="background:#7aa7e0"></i>segment</span><span><i style="background:#4c8be0"></i>active segment</span><span><i style="background:repeating-linear-gradient(45deg,#7aa7e0 0 3px,#2f5f9e 3px 5px)"></i>compacted (records &lt; offsets)</span><span><i style="background:#f4c7c3;border:1px dashed #b3261e"></i>offset gap</span><span><i style="background:#b3261e"></i>verify error</span><span><i style="background:#d68a00"></i>warning</span></div>`;
  return `<svg id="${id}-timeline" class="timeline" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="segment timeline">${parts.join('')}</svg>${legend}`;
}

function perMinute(p: PartitionReportData, id: string): string {
  const m = p.perMinute;
  if (m.length === 0) return `<p class="note" id="${id}-minutes">no batch carries a timestamp (magic 0 or all -1)</p>`;
  const W = 1100;
  const H = 170;
  const left = 60;
  const top = 10;
  const ch = 120;
  // Continuous minutes between first and last; capped at 1440 columns (a day) by merging buckets.
  const first = m[0]!.minute;
  const last = m[m.length - 1]!.minute;
  const span = (last - first) / 60000 + 1;
  const per = Math.max(1, Math.ceil(span / 1440));
  const cols = Math.ceil(span / per);
  const rec = new Array<number>(cols).fill(0);
  const byt = new Array<number>(cols).fill(0);
  for (const b of m) {
    const c = Math.floor((b.minute - first) / 60000 / per);
    rec[c]! += b.records;
    byt[c]! += b.bytes;
  }
  const maxR = Math.max(1, ...rec);
  const maxB = Math.max(1, ...byt);
  const cw = (W - left - 10) / cols;
  const parts: string[] = [];
  for (let c = 0; c < cols; c++) {
    if (rec[c] === 0 && byt[c] === 0) continue;
    const h = (rec[c]! / maxR) * ch;
    const t = first + c * per * 60000;
    parts.push(
      `<rect class="minute" x="${(left + c * cw).toFixed(2)}" y="${(top + ch - h).toFixed(2)}" width="${Math.max(1, cw - (cw > 3 ? 1 : 0)).toFixed(2)}" height="${h.toFixed(2)}" fill="#4c8be0"><title>${esc(`${iso(t)}: ${plural(rec[c]!, 'record')}, ${human(byt[c]!)}`)}</title></rect>`,
    );
  }
  const pts = byt.map((b, c) => `${(left + c * cw + cw / 2).toFixed(1)},${(top + ch - (b / maxB) * ch).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${pts}" fill="none" stroke="#d68a00" stroke-width="1.5"/>`);
  parts.push(`<line x1="${left}" y1="${top + ch}" x2="${W - 10}" y2="${top + ch}" stroke="#8a93a6"/>`);
  parts.push(`<text x="${left - 4}" y="${top + 10}" text-anchor="end">${esc(maxR.toLocaleString('en-US'))}</text><text x="${left - 4}" y="${top + ch}" text-anchor="end">0</text>`);
  parts.push(`<text x="${left}" y="${top + ch + 16}">${esc(iso(first))}</text><text x="${W - 10}" y="${top + ch + 16}" text-anchor="end">${esc(iso(last))}</text>`);
  parts.push(
    `<text x="${(W + left) / 2}" y="${H - 4}" text-anchor="middle">${esc(`bars: records per ${per === 1 ? 'minute' : `${per} minutes`} (max ${maxR.toLocaleString('en-US')}); line: bytes (max ${human(maxB)})`)}</text>`,
  );
  const note = `<p class="note">From the max timestamp of every batch header (${plural(p.info.batches, 'batch').replace('batchs', 'batches')}); the time index is sparse (${plural(p.timeIndexEntries, 'entry').replace('entrys', 'entries')}), so batch headers give the exact picture.</p>`;
  return `<svg id="${id}-minutes" class="minutes" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="records per minute">${parts.join('')}</svg>${note}`;
}

function mixTable(p: PartitionReportData, id: string): string {
  if (p.mix.length === 0) return `<p class="note" id="${id}-mix">no batches</p>`;
  const total = Math.max(
    1,
    p.mix.reduce((n, m) => n + m.bytes, 0),
  );
  const colors = ['#4c8be0', '#d68a00', '#137a3a', '#8e44ad', '#b3261e', '#5d6780'];
  const bar = p.mix
    .map(
      (m, i) =>
        `<rect x="${((p.mix.slice(0, i).reduce((n, k) => n + k.bytes, 0) / total) * 600).toFixed(1)}" y="0" width="${((m.bytes / total) * 600).toFixed(1)}" height="16" fill="${colors[i % colors.length]}"><title>${esc(`magic ${m.magic} ${m.codec}: ${human(m.bytes)}`)}</title></rect>`,
    )
    .join('');
  const rows = p.mix
    .map(
      (m, i) =>
        `<tr><td class="l"><i style="display:inline-block;width:10px;height:10px;background:${colors[i % colors.length]}"></i> v${m.magic}</td><td class="l">${esc(m.codec)}</td><td>${m.batches.toLocaleString('en-US')}</td><td>${m.records.toLocaleString('en-US')}</td><td>${esc(human(m.bytes))}</td><td>${((m.bytes / total) * 100).toFixed(1)} %</td></tr>`,
    )
    .join('');
  return `<svg viewBox="0 0 600 16" width="600" height="16">${bar}</svg><table id="${id}-mix" class="mix"><tr><th class="l">magic</th><th class="l">codec</th><th>batches</th><th>records</th><th>bytes</th><th>share</th></tr>${rows}</table>`;
}

function keysTable(p: PartitionReportData, id: string): string {
  const k = p.keys;
  const rows: [string, string][] = [
    ['records with a key', k.keyed.toLocaleString('en-US')],
    ['distinct keys', `${k.distinct.toLocaleString('en-US')}${k.capped ? ' (at least: counting stopped at the cap)' : ''}`],
    ['records without a key', k.unkeyed.toLocaleString('en-US')],
    ['tombstones (key, null value)', k.tombstones.toLocaleString('en-US')],
  ];
  if (k.undecodableBatches) rows.push(['batches whose records could not be decoded', String(k.undecodableBatches)]);
  if ('error' in p.compaction) rows.push(['compaction dry run', `failed: ${p.compaction.error}`]);
  else {
    const c = p.compaction;
    rows.push(['compaction would remove', `${plural(c.recordsRemoved, 'record')} (${plural(c.tombstonesRemoved, 'tombstone')})`]);
    rows.push(['compaction would reclaim', `${human(c.bytesReclaimed)} (${c.bytesIn.toLocaleString('en-US')} → ${c.bytesOut.toLocaleString('en-US')} B of the cleanable range)`]);
    if (c.note) rows.push(['note', c.note]);
  }
  return `<table id="${id}-keys" class="keys">${rows.map(([a, b]) => `<tr><th class="l">${esc(a)}</th><td class="l">${esc(b)}</td></tr>`).join('')}</table><p class="note">What compaction would reclaim comes from <code>kseg compact --dry-run</code> (Kafka's LogCleaner rules: the active segment and open transactions stay).</p>`;
}

function findingsTable(p: PartitionReportData, id: string): string {
  const f = p.verify.findings;
  if (f.length === 0) return `<p class="ok" id="${id}-findings">verify found no problem in ${esc(plural(p.info.segments.length, 'segment'))}.</p>`;
  const rows = f
    .map(
      (i) =>
        `<tr class="${i.severity === 'error' ? 'bad' : i.severity === 'warning' ? 'warn' : ''}"><td class="l">${esc(i.severity)}</td><td class="l">${esc(i.code)}</td><td class="l">${esc(i.file)}</td><td>${i.position ?? '-'}</td><td>${i.offset ?? '-'}</td><td class="l">${esc(i.message)}</td></tr>`,
    )
    .join('');
  const omitted = p.verify.issuesOmitted ? `<p class="note">${esc(plural(p.verify.issuesOmitted, 'more finding'))} not listed (run kseg verify for all).</p>` : '';
  return `<table id="${id}-findings" class="findings"><tr><th class="l">severity</th><th class="l">code</th><th class="l">file</th><th>byte</th><th>offset</th><th class="l">message</th></tr>${rows}</table>${omitted}`;
}

function segmentTable(p: PartitionReportData, id: string): string {
  const rows = p.info.segments
    .map(
      (s) =>
        `<tr><td class="l">${esc(s.file)}</td><td>${s.firstOffset ?? '-'}..${s.lastOffset ?? '-'}</td><td>${s.batches.toLocaleString('en-US')}</td><td>${s.records.toLocaleString('en-US')}</td><td>${esc(human(s.bytes))}</td><td>${s.indexEntries ?? '-'}</td><td>${s.timeIndexEntries ?? '-'}</td><td class="l">${s.minTimestamp === null ? '-' : esc(`${iso(s.minTimestamp)} – ${iso(s.maxTimestamp!)}`)}</td><td class="l">${esc(s.codecs.join(', ') || '-')}</td></tr>`,
    )
    .join('');
  return `<table id="${id}-segments" class="segments"><tr><th class="l">file</th><th>offsets</th><th>batches</th><th>records</th><th>bytes</th><th>index</th><th>timeindex</th><th class="l">time range</th><th class="l">codecs</th></tr>${rows}</table>`;
}

/** A log dir: one row per partition, linking to its section. */
function overview(r: ReportData): string {
  const rows = r.partitions
    .map((p, i) => {
      const v = p.verify;
      const verdict =
        v.errors > 0
          ? `<span class="bad">${esc(plural(v.errors, 'error'))}</span>`
          : v.warnings > 0
            ? `<span class="warn">${esc(plural(v.warnings, 'warning'))}</span>`
            : '<span class="ok">ok</span>';
      const reclaim = 'error' in p.compaction ? 'n/a' : human(p.compaction.bytesReclaimed);
      return `<tr><td class="l"><a href="#p${i}">${esc(p.name)}</a></td><td>${verdict}</td><td>${p.info.segments.length}</td><td>${p.info.records.toLocaleString('en-US')}</td><td>${esc(human(p.info.bytes))}</td><td>${p.keys.distinct.toLocaleString('en-US')}${p.keys.capped ? '+' : ''}</td><td>${esc(reclaim)}</td></tr>`;
    })
    .join('');
  return `<section class="partition"><h2>Partitions</h2><table id="overview"><tr><th class="l">partition</th><th>verify</th><th>segments</th><th>records</th><th>bytes</th><th>distinct keys</th><th>compaction would reclaim</th></tr>${rows}</table></section>`;
}
