// The report's stylesheet: system fonts, one readable column, zebra tables,
// findings as cards with the verdict in words. Internal to html_report.cpp.
#pragma once

namespace avr::detail {

inline constexpr const char* kReportCss = R"CSS(
:root{color-scheme:light;--fg:#1d1d1f;--muted:#5b5f66;--line:#d9dbe0;--zebra:#f5f6f8;
--accent:#0060a0;--ok:#0a7d32;--bad:#b3261e}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--fg);
font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:28px 24px 64px}
h1{font-size:1.85rem;line-height:1.2;margin:0 0 .3rem}
.subtitle{color:var(--muted);margin:0 0 1.2rem}
h2{font-size:1.4rem;margin:2.4rem 0 .8rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}
h3{font-size:1.1rem;margin:1.6rem 0 .5rem}
p{margin:.6rem 0;max-width:75ch}
a{color:var(--accent)}
nav.toc{background:var(--zebra);border:1px solid var(--line);border-radius:8px;
padding:.6rem 1.2rem;margin:1rem 0 1.6rem;display:inline-block;min-width:50%}
nav.toc h2{font-size:1rem;margin:.2rem 0;border:0;padding:0}
nav.toc ul{margin:.2rem 0;padding-left:.2rem;list-style:none}
.tally{font-weight:600}
.badge{display:inline-block;font-size:.85rem;border:1px solid var(--line);border-left:5px solid var(--muted);
border-radius:5px;padding:.15rem .6rem;margin:.2rem 0 .6rem;max-width:80ch}
.badge.passed{border-left-color:var(--ok)}
.badge.raised{border-left-color:var(--bad)}
.badge b{margin-right:.4rem}
ol.findings{list-style:none;padding:0;margin:.6rem 0}
.finding{display:grid;grid-template-columns:9rem 1fr;gap:.2rem 1rem;padding:.7rem 1rem;
margin:.6rem 0;border:1px solid var(--line);border-left:6px solid var(--bad);border-radius:6px}
.finding.holds{border-left-color:var(--ok)}
.verdict{font-weight:700;color:var(--bad);grid-row:span 2}
.finding.holds .verdict{color:var(--ok)}
.claim{font-weight:500}
.fid{font:600 .8rem ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--zebra);
border:1px solid var(--line);border-radius:4px;padding:0 .35rem;margin-right:.3rem}
.evidence{grid-column:2;color:var(--muted);font-size:.92rem;white-space:pre-line}
figure{margin:1.6rem 0}
figcaption,.table-caption{color:var(--muted);font-size:.92rem;margin:.5rem 0;max-width:80ch}
figcaption b,.table-caption b{color:var(--fg)}
.panels{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.panel{margin:0;max-width:100%}
.panel svg,.panel img{display:block;max-width:100%;height:auto;border:1px solid var(--line)}
.panel-label{font-size:.88rem;text-align:center;margin-top:.3rem}
.table-wrap{overflow-x:auto;margin:1.4rem 0}
table{border-collapse:collapse;font-size:.92rem;font-variant-numeric:tabular-nums}
th,td{padding:.35rem .75rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #8a8f98;vertical-align:bottom}
tbody tr:nth-child(even){background:var(--zebra)}
tbody th{font-weight:500}
.num{text-align:right}
.second u{text-underline-offset:2px}
.audio-pair{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
.audio-item{border:1px solid var(--line);border-radius:6px;padding:.6rem}
.audio-item .panel-label{text-align:left;font-weight:600;margin:0 0 .4rem}
.audio-item audio{width:100%}
/* Spectrograms are stretched to a fixed band: their pixel aspect carries no meaning. */
.audio-item img{display:block;width:100%;height:180px;object-fit:fill;margin-top:.5rem}
pre{background:var(--zebra);border:1px solid var(--line);border-radius:6px;padding:.7rem 1rem;
overflow-x:auto;font-size:.84rem;line-height:1.4}
details summary{cursor:pointer;color:var(--muted)}
@media print{nav.toc{display:none}main{max-width:none}figure,.table-wrap{break-inside:avoid}}
)CSS";

}  // namespace avr::detail
