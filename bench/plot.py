"""The suite's chart and the docs' results tables, from a suite run (no matplotlib).

    python bench/plot.py                                # from bench/results/suite.json
    python bench/plot.py --json bench/results/other.json
    python bench/suite.py --docs                        # run the suite, then this

Writes ``docs/assets/performance.svg`` (a bar per flowkit row: its ratio to its baseline on a log
axis, the target as a black tick, green when met, red when not, grey without a target; the machine
and versions in the caption) and rewrites the text between ``<!-- bench:begin -->`` and
``<!-- bench:end -->`` in ``docs/en/performance.md`` and ``docs/zh/performance.md``: the results
table and the line saying where and when it was measured. Never edit those by hand.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SVG_PATH = os.path.join(ROOT, "docs", "assets", "performance.svg")
PAGES = {
    "en": os.path.join(ROOT, "docs", "en", "performance.md"),
    "zh": os.path.join(ROOT, "docs", "zh", "performance.md"),
}
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"

WORKLOAD_NAMES = {
    "W1": ("W1 tutorial step", "W1 教程训练步"),
    "W1G": ("W1 in nn.Graph", "W1 nn.Graph 版"),
    "W2": ("W2 MLP step", "W2 MLP 训练步"),
    "W2G": ("W2 in nn.Graph", "W2 nn.Graph 版"),
    "W2DDP": ("W2 under 2-process DDP", "W2 双进程 DDP"),
    "W3": ("W3 op overhead", "W3 算子开销"),
    "startup": ("Start-up", "启动"),
    "memory": ("Memory", "内存"),
    "conv": ("Conv net epoch", "卷积网络 epoch"),
}
# (workload, key) -> (en, zh): what a row is, for the table and the chart
ROW_NAMES = {
    ("W1", "numpy_plain"): ("hand numpy (tutorial style)", "手写 numpy（教程写法）"),
    ("W1", "torch_optim"): (
        "plain torch, nn.Module + optim.SGD",
        "纯 PyTorch，nn.Module + optim.SGD",
    ),
    ("W2", "flowkit_sgd"): ("SGD momentum", "SGD momentum"),
    ("W2", "flowkit_adam"): ("Adam", "Adam"),
    ("W2", "hand_sgd"): ("hand numpy, preallocated", "手写 numpy，预分配缓冲区"),
    ("W2", "hand_adam"): ("hand numpy, preallocated", "手写 numpy，预分配缓冲区"),
    ("W2", "torch_sgd"): (
        "plain torch, nn.Module + optim.SGD",
        "纯 PyTorch，nn.Module + optim.SGD",
    ),
    ("W2", "torch_adam"): (
        "plain torch, nn.Module + optim.Adam",
        "纯 PyTorch，nn.Module + optim.Adam",
    ),
    ("W3", "hand"): ("hand numpy, manual backward", "手写 numpy，手工反向"),
    ("W3", "torch"): ("PyTorch, same code", "PyTorch，同样的代码"),
    ("startup", "flowkit_import"): ("import + one tensor", "import + 一个张量"),
    ("startup", "flowkit_program"): ("tutorial program", "教程程序"),
    ("startup", "numpy_import"): ('python -c "import numpy"', 'python -c "import numpy"'),
    ("startup", "torch_import"): (
        "import torch; torch.tensor([1.0])",
        "import torch; torch.tensor([1.0])",
    ),
    ("startup", "numpy_program"): ("the same program in hand numpy", "同一程序的手写 numpy 版"),
    ("startup", "torch_program"): ("the same program in plain torch", "同一程序的纯 PyTorch 版"),
    ("conv", "torch"): ("plain torch, same net", "纯 PyTorch，同样的网络"),
    ("W2G", "graph_sgd"): ("SGD momentum", "SGD momentum"),
    ("W2G", "graph_adam"): ("Adam", "Adam"),
}
# the nn.Graph workloads have their eager workload's baselines (and the same names)
for (_w, _k), _names in list(ROW_NAMES.items()):
    if _w in ("W1", "W2") and not _k.startswith("flowkit"):
        ROW_NAMES[(_w + "G", _k)] = _names
TARGET_ZH = {
    "<= 4x hand numpy (~25 us)": "≤ 4× 手写 numpy（约 25 µs）",
    "<= 1.0x plain torch": "≤ 1.0× 纯 PyTorch",
    "<= 2x hand numpy": "≤ 2× 手写 numpy",
    "<= 0.8x plain torch": "≤ 0.8× 纯 PyTorch",
    "<= 1.15x hand numpy": "≤ 1.15× 手写 numpy",
    "<= 1.2x hand numpy": "≤ 1.2× 手写 numpy",
    "<= 1.05x plain torch": "≤ 1.05× 纯 PyTorch",
    "<= 25 us": "≤ 25 µs",
    "<= 1.2x PyTorch": "≤ 1.2× PyTorch",
    "<= 0.25 s, torch not imported": "≤ 0.25 s，且不导入 torch",
    "<= 1.15x import torch": "≤ 1.15× import torch",
    "growth < 5 MB": "增长 < 5 MB",
    "< 60 s/epoch": "< 60 s/epoch",
    "(reported)": "（仅报告）",
}


def _en_target(text):
    return (
        text.replace("<=", "≤")
        .replace(" us", " µs")
        .replace("~", "≈")
        .replace("x ", "× ")
        .replace("x)", "×)")
    )


def _target_text(text, lang):
    if lang == "zh":
        return TARGET_ZH.get(text, _en_target(text))
    return "(reported)" if text == "(reported)" else _en_target(text)


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "us":
        return f"{v / 1000:.2f} ms" if v >= 1000 else f"{v:.1f} µs"
    if unit == "s":
        return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s"
    if unit == "MB":
        return f"{v:+.1f} MB"
    return f"{v:.3g}"


def _versions(result):
    m = result["machine"]
    return (
        f"flowkit {m.get('flowkit')} ({m.get('flowkit_git') or '?'}), Python {m['python']}, "
        f"numpy {m['numpy']}, torch {m.get('torch') or '-'}"
    )


def _machine(result):
    m = result["machine"]
    threads = m.get("OMP_NUM_THREADS") or "(as found)"
    return (
        f"{m['cpu_count']} CPUs ({m['cpu_model']}), {m['platform']}, "
        f"{threads} BLAS/OpenMP thread(s), load average "
        f"{(m.get('loadavg_start') or ['?'])[0]} → {(m.get('loadavg') or ['?'])[0]}"
    )


def flowkit_rows(result):
    return [r for r in result["rows"] if r["role"] == "flowkit"]


def _row_name(r, lang):
    names = ROW_NAMES.get((r["workload"], r["key"]))
    return None if names is None else names[lang == "zh"]


# --------------------------------------------------------------------------------------------
# the chart


def bars(result):
    """One bar per flowkit row with a ratio: label, ratio, target (as a ratio), verdict."""
    out = []
    for r in flowkit_rows(result):
        if r.get("ratio") is None or r["workload"] == "memory":
            continue
        t = r.get("target") or {}
        name = WORKLOAD_NAMES[r["workload"]][0]
        sub = _row_name(r, "en")
        vs = ROW_NAMES.get((r["workload"], (r.get("vs") or {}).get("key")), ("?",))[0]
        label = f"{name}, {r['backend']}" + (f", {sub}" if sub else "")
        target = tlabel = None
        if t.get("kind") == "ratio":
            target, tlabel = t["limit"], f"≤ {t['limit']:g}×"
        elif t.get("kind") == "abs" and (r.get("vs") or {}).get("median"):
            target = t["limit"] / r["vs"]["median"]  # the absolute target on the ratio's scale
            tlabel = _en_target(t["text"].split(",")[0])
        out.append(
            {
                "workload": r["workload"],
                "label": label,
                "vs": f"vs {vs}",
                "ratio": r["ratio"],
                "target": target,
                "target_label": tlabel,
                "met": t.get("met") if t.get("kind") else None,
            }
        )
    return out


def svg(result):
    items = bars(result)
    width, left, right = 1000, 330, 175
    top, row_h = 64, 30
    plot_w = width - left - right
    lo, hi = 0.25, 8.0
    for b in items:
        while b["ratio"] < lo * 1.05:
            lo /= 2
        while b["ratio"] > hi / 1.05 and hi < 64:
            hi *= 2
    span = math.log(hi) - math.log(lo)
    lx = lambda v: left + plot_w * (math.log(v) - math.log(lo)) / span  # noqa: E731
    height = top + row_h * len(items) + 120
    colours = {True: "#3b8f3b", False: "#c8423a", None: "#8a8f98"}
    o = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" '
        'font-size="15">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left}" y="22" font-size="18" font-weight="bold">flowkit ÷ baseline '
        "(lower is better; log scale)</text>",
        f'<text x="{left}" y="40" fill="#555" font-size="13">bar: paired median ratio; '
        "black tick: target "
        "(green: met, red: not met, grey: no target)</text>",
    ]
    # grid
    tick = lo
    y0, y1 = top - 6, top + row_h * len(items)
    while tick <= hi * 1.001:
        x = lx(tick)
        strong = abs(tick - 1) < 1e-9
        o.append(
            f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}" '
            f'stroke="{"#333" if strong else "#ddd"}" '
            f'stroke-width="{1.5 if strong else 1}"/>'
        )
        o.append(
            f'<text x="{x:.1f}" y="{y1 + 16}" text-anchor="middle" fill="#333">{tick:g}×</text>'
        )
        tick *= 2
    for k, b in enumerate(items):
        y = top + k * row_h
        if k and b["workload"] != items[k - 1]["workload"]:
            o.append(f'<line x1="12" y1="{y}" x2="{width - 12}" y2="{y}" stroke="#eee"/>')
        x_end = lx(max(min(b["ratio"], hi), lo))
        o.append(f'<text x="{left - 8}" y="{y + 12}" text-anchor="end">{escape(b["label"])}</text>')
        o.append(
            f'<text x="{left - 8}" y="{y + 24}" text-anchor="end" fill="#777" '
            f'font-size="12">{escape(b["vs"])}</text>'
        )
        o.append(
            f'<rect x="{left}" y="{y + 4}" width="{max(x_end - left, 1):.1f}" height="20" '
            f'fill="{colours[b["met"]]}" opacity="0.85"/>'
        )
        x_txt = x_end
        near = b["target"] is not None and lo <= b["target"] <= hi
        if near and abs(lx(b["target"]) - x_end) < 40:
            x_txt = max(x_txt, lx(b["target"]) + 2)  # keep the number clear of the tick
        o.append(f'<text x="{x_txt + 4:.1f}" y="{y + 18}" fill="#222">{b["ratio"]:.2f}×</text>')
        if b["target"] is not None:
            if b["target"] <= hi:
                xt = lx(max(b["target"], lo))
                o.append(
                    f'<line x1="{xt:.1f}" y1="{y + 1}" x2="{xt:.1f}" y2="{y + 27}" '
                    'stroke="#000" stroke-width="2.5"/>'
                )
                o.append(
                    f'<text x="{width - right + 8}" y="{y + 18}" fill="#333" '
                    'font-size="12">target '
                    f"{escape(b['target_label'])}</text>"
                )
            else:
                o.append(
                    f'<text x="{width - right + 8}" y="{y + 18}" fill="#333" '
                    'font-size="12">target '
                    f"{escape(b['target_label'].split('/')[0])} (off scale)</text>"
                )
    cap_y = y1 + 44
    caption = [
        f"Measured {result['date']} by flowkit bench"
        f"{' --quick' if result.get('quick') else ''}: {_versions(result)}.",
        f"Machine: {_machine(result)}.",
        "Absolute targets (µs, s) are drawn at target ÷ baseline median. Memory is in "
        "the table only.",
    ]
    for k, line in enumerate(caption):
        o.append(
            f'<text x="12" y="{cap_y + 16 * k}" fill="#444" font-size="13">{escape(line)}</text>'
        )
    o.append("</svg>")
    return "\n".join(o) + "\n"


# --------------------------------------------------------------------------------------------
# the docs tables


def _verdict(r, lang):
    t = r.get("target") or {}
    if not t.get("kind"):
        return "—"
    met = t.get("met")
    if lang == "zh":
        return {True: "**达标**", False: "**未达标**", None: "未测得"}[met]
    return {True: "**met**", False: "**NOT met**", None: "not measured"}[met]


def _flowkit_cell(r, lang):
    if r.get("error"):
        return "unavailable" if lang == "en" else "不可用"
    i = r.get("info") or {}
    v = fmt(r["median"], r["unit"])
    sep = ", " if lang == "en" else "，"
    if r["workload"] == "startup" and i.get("peak_rss_mb") is not None:
        peak = "peak" if lang == "en" else "峰值"
        v += f"{sep}{peak} {i['peak_rss_mb']:.0f} MB"
        if r["backend"] == "numpy" and i.get("torch_imported") is not None:
            if lang == "en":
                v += ", torch not imported" if not i["torch_imported"] else ", torch IMPORTED"
            else:
                v += "，未导入 torch" if not i["torch_imported"] else "，导入了 torch"
    if r["workload"] == "memory" and i:
        if lang == "en":
            v = (
                f"{v} ({i['rss_after_warmup_mb']:.1f} → {i['rss_end_mb']:.1f} MB after "
                f"warm-up → end; peak {i['peak_rss_mb']:.1f} MB)"
            )
        else:
            v = (
                f"{v}（预热后 {i['rss_after_warmup_mb']:.1f} → 结束时 {i['rss_end_mb']:.1f} MB；"
                f"峰值 {i['peak_rss_mb']:.1f} MB）"
            )
    if r["workload"] == "conv" and "accuracy" in i:
        v += (
            f" (accuracy {i['accuracy']:.3f})"
            if lang == "en"
            else f"（准确率 {i['accuracy']:.3f}）"
        )
    return v


def _baseline_cell(r, result, lang):
    vs = r.get("vs")
    if not vs:
        return "—"
    base = next(
        (
            b
            for b in result["rows"]
            if b["workload"] == r["workload"]
            and b["backend"] == r["backend"]
            and b["key"] == vs["key"]
        ),
        None,
    )
    name = ROW_NAMES.get((r["workload"], vs["key"]), (vs["label"], vs["label"]))[lang == "zh"]
    v = fmt(vs["median"], r["unit"])
    info = (base or {}).get("info") or {}
    if r["workload"] == "startup" and info.get("peak_rss_mb"):
        v += (
            f", peak {info['peak_rss_mb']:.0f} MB"
            if lang == "en"
            else f"，峰值 {info['peak_rss_mb']:.0f} MB"
        )
    if r["workload"] == "conv" and "accuracy" in info:
        v += (
            f" (accuracy {info['accuracy']:.3f})"
            if lang == "en"
            else f"（准确率 {info['accuracy']:.3f}）"
        )
    return f"{name}: {v}" if lang == "en" else f"{name}：{v}"


def table(result, lang):
    if lang == "en":
        head = (
            "| Workload | Backend | flowkit | Baseline | Ratio | Target | Result |\n"
            "| --- | --- | ---: | --- | ---: | --- | --- |"
        )
    else:
        head = (
            "| 负载 | 后端 | flowkit | 基线 | 比值 | 目标 | 结果 |\n"
            "| --- | --- | ---: | --- | ---: | --- | --- |"
        )
    lines = [head]
    for r in flowkit_rows(result):
        name = WORKLOAD_NAMES[r["workload"]][lang == "zh"]
        sub = _row_name(r, lang)
        if r["workload"] == "memory":
            steps = (r.get("info") or {}).get("steps")
            if steps:
                sub = (
                    f"{steps:,} W2 steps, Adam" if lang == "en" else f"{steps:,} 个 W2 训练步，Adam"
                )
        if sub:
            name += f" ({sub})" if lang == "en" else f"（{sub}）"
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else "—"
        t = r.get("target") or {}
        target = _target_text(t.get("text", ""), lang) if t else "—"
        lines.append(
            f"| {name} | {r['backend']} | {_flowkit_cell(r, lang)} | "
            f"{_baseline_cell(r, result, lang)} | {ratio} | {target} | "
            f"{_verdict(r, lang)} |"
        )
    run = "`flowkit bench" + (" --quick" if result.get("quick") else "") + " --docs`"
    if lang == "en":
        where = (
            f"Measured {result['date']} by {run} ({result['seconds']:.0f} s): "
            f"{_versions(result)}; {_machine(result)}."
        )
    else:
        where = (
            f"测量于 {result['date']}，命令 {run}（用时 {result['seconds']:.0f} 秒）："
            f"{_versions(result)}；{_machine(result)}。"
        )
    return "\n".join(lines) + "\n\n" + where + "\n"


def update_page(path, result, lang):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    a, b = text.find(BEGIN), text.find(END)
    if a < 0 or b < a:
        raise SystemExit(f"{path}: no {BEGIN} ... {END} markers")
    new = text[: a + len(BEGIN)] + "\n\n" + table(result, lang) + "\n" + text[b:]
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
    return path


def write_all(result):
    os.makedirs(os.path.dirname(SVG_PATH), exist_ok=True)
    with open(SVG_PATH, "w", encoding="utf-8") as f:
        f.write(svg(result))
    written = [SVG_PATH]
    for lang, path in PAGES.items():
        if os.path.exists(path):
            written.append(update_page(path, result, lang))
    return written


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--json",
        default=os.path.join(HERE, "results", "suite.json"),
        help="a suite run's JSON (default bench/results/suite.json)",
    )
    args = p.parse_args(argv)
    with open(args.json, encoding="utf-8") as f:
        result = json.load(f)
    for path in write_all(result):
        print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
