/**
 * The stylesheet of html.ts's page, inlined in it (the page fetches nothing): light by default,
 * dark when the reader prefers it, and below 46rem each table row becomes a stack of labelled cells.
 */
export const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1d2329;--muted:#5b6670;--line:#dde2e7;--accent:#0b62c4;--code:#eef1f4;
--ct:#e3f1e6;--ct-fg:#1d6b35;--vm:#e8e6fb;--vm-fg:#4b3aa6;--top:#1f2a36;--top-fg:#f4f7fa}
@media (prefers-color-scheme:dark){:root{--bg:#111519;--card:#1a2027;--fg:#e3e8ed;--muted:#9aa6b1;--line:#2d3640;--accent:#6cb0ff;--code:#242c35;
--ct:#173524;--ct-fg:#8ee0a8;--vm:#2a2550;--vm-fg:#c4bbff;--top:#0b0e11;--top-fg:#e3e8ed}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
.wrap{max-width:78rem;margin:0 auto;padding:0 1.25rem}
.top{background:var(--top);color:var(--top-fg);padding:1.5rem 0 1.25rem;margin-bottom:1.5rem}
h1{margin:0;font-size:1.75rem;font-weight:650;letter-spacing:-.01em;overflow-wrap:anywhere}
.facts{margin:.25rem 0 0;opacity:.85}
.facts time{color:inherit;font-size:inherit}
h2{font-size:1.2rem;margin:0 0 .35rem;overflow-wrap:anywhere}
a{color:var(--accent);text-underline-offset:2px}
a:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:2px}
code,pre,var{font-family:ui-monospace,"SF Mono","Cascadia Mono","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.875em}
var{font-style:normal;color:var(--accent);font-weight:600}
pre{background:var(--code);border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;overflow-x:auto;margin:.25rem 0 .75rem;line-height:1.6}
pre code{font-size:.85rem}
.usage,.product{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.1rem 1.25rem;margin:0 0 1.25rem}
.usage p{margin:.25rem 0}
.toc{list-style:none;display:flex;flex-wrap:wrap;gap:.4rem;padding:0;margin:0 0 1.25rem}
.toc a{display:inline-block;padding:.15rem .55rem;border:1px solid var(--line);border-radius:999px;background:var(--card);text-decoration:none}
.chips{font-size:.75rem;font-weight:500;vertical-align:middle}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;background:var(--code);color:var(--muted);font-size:.78rem;font-weight:600;line-height:1.5}
.chips .badge{max-width:100%;overflow-wrap:anywhere}
td .badge{white-space:nowrap}
.badge.ct{background:var(--ct);color:var(--ct-fg)}
.badge.vm{background:var(--vm);color:var(--vm-fg)}
.description{margin:0 0 .4rem;color:var(--muted);overflow-wrap:anywhere}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .75rem;margin:0 0 .75rem;font-size:.9rem}
.meta dt{color:var(--muted)}
.meta dd{margin:0;overflow-wrap:anywhere}
.alias{background:var(--code);border-radius:4px;padding:0 .3rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}
caption{text-align:left;color:var(--muted);font-size:.8rem;padding-bottom:.35rem}
th,td{text-align:left;vertical-align:top;padding:.55rem .6rem;border-top:1px solid var(--line)}
thead th{border-top:0;color:var(--muted);font-size:.75rem;text-transform:uppercase;letter-spacing:.05em;font-weight:600}
tbody th{font-weight:400;white-space:nowrap}
.version{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-weight:600}
time{color:var(--muted);font-size:.8rem}
td[data-label=Size]{white-space:nowrap}
.fp{display:inline-block;max-width:32ch;word-break:break-all;color:var(--muted);font-size:.8rem}
.fp b{color:var(--fg)}
.files{list-style:none;margin:0;padding:0}
.files li+li{margin-top:.4rem}
.files .name{font-weight:600;overflow-wrap:anywhere}
.size{color:var(--muted);font-size:.8rem;margin-left:.35rem}
.sum{display:inline-block;word-break:break-all;color:var(--muted);font-size:.72rem;max-width:64ch}
.empty{background:var(--card);border:1px dashed var(--line);border-radius:10px;padding:2rem;text-align:center;color:var(--muted);font-size:1.05rem}
footer{color:var(--muted);font-size:.85rem;padding-bottom:2rem}
@media (max-width:46rem){
.wrap{padding:0 .75rem}
.usage,.product{padding:.9rem}
table,thead,tbody,tr,th,td{display:block}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
tr{border-top:1px solid var(--line);padding:.5rem 0}
th,td{border:0;padding:.15rem 0;white-space:normal}
caption{display:block}
tbody th[data-label]::before,td[data-label]::before{content:attr(data-label);display:block;color:var(--muted);font-size:.7rem;text-transform:uppercase;letter-spacing:.05em}
.fp{max-width:none}
}
`
  .trim()
  .replace(/\n/g, '');
