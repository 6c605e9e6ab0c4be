/** Inline CSS for the cost report: screen layout, and print rules for A4 or Letter (no nav, tables kept whole). */
export const costReportCss = `
:root { color-scheme: light; --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --total: #4c78a8; --idle: #e45756; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.meta { display: flex; flex-wrap: wrap; gap: 4px 24px; margin: 8px 0 0; color: var(--muted); }
.meta dt { font-weight: 600; } .meta div { display: flex; gap: 6px; } .meta dd { margin: 0; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 12px; padding: 0; margin: 12px 0 0; }
nav a { color: var(--total); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin: 0; }
.cards div { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.cards dt { color: var(--muted); font-size: 12px; } .cards dd { margin: 2px 0 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; margin: 4px 0; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 12px; padding-top: 6px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.key { word-break: break-word; max-width: 320px; }
tr.line td { font-style: italic; background: #fbfbfc; }
tfoot td { font-weight: 700; border-top: 2px solid var(--ink); border-bottom: none; }
.warning { border: 1px solid #d4a72c; background: #fff8c5; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
.chart { width: 100%; max-width: 900px; height: auto; display: block; }
.chart .bar-total { fill: var(--total); } .chart .bar-idle { fill: var(--idle); }
.chart .axis { stroke: var(--ink); } .chart .grid { stroke: var(--line); stroke-dasharray: 3 3; }
.chart .tick, .chart .axis-title { font-size: 11px; fill: var(--muted); }
.legend { color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; vertical-align: baseline; }
.swatch-total { background: var(--total); } .swatch-idle { background: var(--idle); }
.empty { color: var(--muted); font-style: italic; }
@page { size: auto; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  nav { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; }
  section { break-inside: avoid-page; }
  #by-team { break-inside: auto; }
  thead { display: table-header-group; } tfoot { display: table-footer-group; }
  tr, .cards div, .warning, .chart { break-inside: avoid; page-break-inside: avoid; }
  .cards { grid-template-columns: repeat(3, 1fr); }
  a { color: inherit; text-decoration: none; }
}
`;
