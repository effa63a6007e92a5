// The report's stylesheet: system fonts, light and dark themes, responsive layout, print rules.

enum ReportStyle {
    /// Inlined into `<style>`; colours are CSS variables so charts follow the theme.
    static let css = """
    :root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--faint:#818b98;--border:#d1d9e0;
    --surface:#f6f8fa;--accent:#0969da;--best:#1a7f37;--best-bg:#dafbe1;--err:#cf222e;--err-bg:#ffebe9;--err-border:#ffcecb;
    --kw:#cf222e;--lbl:#953800;--mem:#0550ae;--num:#0a3069;--str:#0a3069;--com:#6e7781;--ty:#8250df;
    --c0:#4e79a7;--c1:#f28e2b;--c2:#e15759;--c3:#76b7b2;--c4:#59a14f;--c5:#edc948;--c6:#b07aa1;--c7:#ff9da7;--c8:#9c755f;--c9:#bab0ac}
    @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--faint:#6e7681;--border:#3d444d;
    --surface:#151b23;--accent:#4493f8;--best:#3fb950;--best-bg:rgba(46,160,67,.18);--err:#f85149;--err-bg:rgba(248,81,73,.1);
    --err-border:rgba(248,81,73,.4);--kw:#ff7b72;--lbl:#ffa657;--mem:#79c0ff;--num:#a5d6ff;--str:#a5d6ff;--com:#8b949e;--ty:#d2a8ff;
    --c0:#6b9bd2;--c1:#f5a35c;--c2:#ef7b7d;--c3:#8fd0ca;--c4:#7cc36d;--c5:#f1d66a;--c6:#c99bbd;--c7:#ffb3bb;--c8:#bd9a83;--c9:#cfc6c2}}
    *,*::before,*::after{box-sizing:border-box}
    html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
    body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
    main{max-width:54rem;margin:0 auto;padding:2.5rem 1.25rem 3rem}
    header{margin-bottom:2rem;padding-bottom:1rem;border-bottom:1px solid var(--border)}
    h1{font-size:2.1rem;line-height:1.2;margin:0;letter-spacing:-.01em}
    .byline{margin:.4rem 0 0;color:var(--muted)}
    h2,h3,h4{line-height:1.3;margin:2rem 0 .6rem}
    h2{font-size:1.5rem;padding-bottom:.25rem;border-bottom:1px solid var(--border)}
    h3{font-size:1.2rem}
    p,ul,ol,blockquote{margin:0 0 1rem}
    a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
    blockquote{margin-left:0;padding:0 1rem;color:var(--muted);border-left:.25em solid var(--border)}
    code,pre,kbd{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:.86em}
    pre code{font-size:inherit}
    :not(pre)>code{padding:.15em .35em;background:var(--surface);border:1px solid var(--border);border-radius:4px}
    pre{margin:0 0 1rem;padding:.85rem 1rem;overflow-x:auto;background:var(--surface);border:1px solid var(--border);border-radius:6px;line-height:1.45}
    img,svg{max-width:100%}
    hr{border:0;border-top:1px solid var(--border);margin:2rem 0}
    .table-wrap,.chart-wrap{overflow-x:auto;margin:0 0 1rem}
    .toc{margin:0 0 2rem;padding:.75rem 1.25rem;border:1px solid var(--border);border-radius:.5rem;font-size:.92rem}
    .toc h2{font-size:1rem;margin:0 0 .4rem}.toc ol{margin:0;padding-left:1.25rem}.toc ol ol{padding-left:1rem}
    .output h4 .number{color:inherit;text-decoration:none}.output h4 .number:hover{text-decoration:underline}
    .data{margin:-.5rem 0 .75rem;font-size:.8rem}.data a{color:var(--muted)}
    td{overflow-wrap:break-word}td.numeric .std{display:inline-block;white-space:nowrap}
    .prose table{margin:0 0 1rem;display:block;overflow-x:auto}
    table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.92rem}
    caption{caption-side:top;text-align:left;color:var(--muted);padding-bottom:.4rem}
    th,td{padding:.4rem .75rem;border-bottom:1px solid var(--border);text-align:left;vertical-align:top}
    thead th{border-bottom:2px solid var(--border);font-weight:600}thead th .unit,thead th .dir{white-space:nowrap}
    .numeric{text-align:right}
    table:has(th:nth-child(9)){font-size:.84rem}table:has(th:nth-child(9)) :is(th,td){padding:.35rem .45rem}
    tbody tr:hover{background:var(--surface)}
    .unit,.dir,.std{color:var(--muted);font-weight:400}
    .best{color:var(--best);background:var(--best-bg);padding:.05em .3em;border-radius:3px;font-weight:650}
    .missing{color:var(--faint)}
    .ref{white-space:nowrap;font-weight:600;font-variant-numeric:tabular-nums;border-bottom:1px dotted var(--accent)}
    .ref:hover{text-decoration:none;border-bottom-style:solid}
    .ref.unresolved{color:var(--err);border-bottom-color:var(--err)}
    .cell{margin:1.5rem 0 2rem}
    .cell>details{border:1px solid var(--border);border-radius:6px;background:var(--surface)}
    .cell>details>summary{cursor:pointer;padding:.35rem .75rem;font-size:.85rem;color:var(--muted);user-select:none}
    .cell>details>summary .name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--fg)}
    .cell>details[open]>summary{border-bottom:1px solid var(--border)}
    .cell>details>pre{margin:0;border:0;border-radius:0 0 6px 6px}
    .badge{display:inline-block;margin-left:.4rem;padding:0 .45rem;border:1px solid var(--border);border-radius:1em;font-size:.75rem;line-height:1.5}
    .badge.stale{color:var(--err);border-color:var(--err-border);background:var(--err-bg)}
    .outputs{margin-top:1rem}
    .output{margin:0 0 1.5rem}
    .output>h4{margin:0 0 .5rem;font-size:1rem}
    .prov{margin:.4rem 0 0;font-size:.78rem;color:var(--muted);font-variant-numeric:tabular-nums}
    .prov code{font-size:.95em;border:0;padding:0;background:none}
    .prov:target,.output:target>h4{background:var(--best-bg);border-radius:3px}
    .chart{display:block;width:100%;min-width:30rem;height:auto;font-size:12px;font-family:inherit}
    .chart text{fill:var(--fg)}.chart .tick{fill:var(--muted);font-variant-numeric:tabular-nums}
    .chart .axis-title{fill:var(--muted);font-weight:500}
    .chart .grid{stroke:var(--border);stroke-width:1;stroke-dasharray:2 3}
    .chart .baseline,.chart .tick-mark{stroke:var(--muted);stroke-width:1}
    .chart path[class^=s]{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
    .chart .legend line{stroke-width:3}.chart .dashed{stroke-dasharray:6 4}
    .chart .band{fill:var(--muted);fill-opacity:.14;stroke:none}.chart .reference{stroke:var(--muted);stroke-width:1.2}
    .chart .error-bar{fill:none;stroke:var(--fg);stroke-width:1.3}
    .s0{stroke:var(--c0)}.s1{stroke:var(--c1)}.s2{stroke:var(--c2)}.s3{stroke:var(--c3)}.s4{stroke:var(--c4)}
    .s5{stroke:var(--c5)}.s6{stroke:var(--c6)}.s7{stroke:var(--c7)}.s8{stroke:var(--c8)}.s9{stroke:var(--c9)}
    .f0{fill:var(--c0)}.f1{fill:var(--c1)}.f2{fill:var(--c2)}.f3{fill:var(--c3)}.f4{fill:var(--c4)}
    .f5{fill:var(--c5)}.f6{fill:var(--c6)}.f7{fill:var(--c7)}.f8{fill:var(--c8)}.f9{fill:var(--c9)}
    .image-defs{position:absolute;width:0;height:0;overflow:hidden}
    .images{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-start}
    figure.image{margin:0}
    figure.image svg{display:block;height:auto;border-radius:3px}
    figure.image figcaption{font-size:.8rem;color:var(--muted);margin-top:.2rem}
    svg.pixelated{image-rendering:pixelated}
    .text-output{white-space:pre-wrap}
    .error-box{margin:0 0 1rem;padding:.75rem 1rem;border:1px solid var(--err-border);border-left:4px solid var(--err);border-radius:6px;background:var(--err-bg)}
    .error-box .error-title{margin:0 0 .5rem;font-weight:600}
    .error-box .loc{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:400;font-size:.9em}
    .error-box .severity{color:var(--err)}
    .error-box pre{margin:0 0 .5rem;background:var(--bg)}
    .error-box mark{background:none;color:var(--err);text-decoration:underline wavy var(--err)}
    .error-box .caret{color:var(--err);font-weight:700}
    .error-box .gutter{color:var(--faint);user-select:none}
    .error-box .hint{margin:0;color:var(--muted)}
    .hl .kw{color:var(--kw)}.hl .lbl{color:var(--lbl)}.hl .mem{color:var(--mem)}.hl .num{color:var(--num)}
    .hl .str{color:var(--str)}.hl .com{color:var(--com);font-style:italic}.hl .ty{color:var(--ty)}
    footer{max-width:54rem;margin:0 auto;padding:1rem 1.25rem 2rem;color:var(--faint);font-size:.8rem;border-top:1px solid var(--border)}
    @media (max-width:600px){body{font-size:15px}main{padding:1.5rem 1rem 2rem}h1{font-size:1.7rem}th,td{padding:.35rem .5rem}}
    @media print{:root{--bg:#fff;--fg:#000;--surface:#fff}body{font-size:11pt}main{max-width:none;padding:0}
    a{color:inherit}.cell,.output,figure,table,svg{break-inside:avoid}details>summary{list-style:none}
    .prov{color:#444}footer{display:none}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
    """
}
