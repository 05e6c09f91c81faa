"""Turn pytest-benchmark JSON files (one per run) into markdown tables and a bar chart.

For each benchmark group: the median time of every variant, fastnn-numba's speed-up over
the numpy reference (``fastnn-numpy``) and over the fastest peer (any variant that is not
fastnn's own: PyTorch, JAX, scikit-learn, the lecture's loop), and the throughput recorded
in ``extra_info`` (``evaluations_per_second`` etc.).  Given several runs, each ratio is
the median of the runs' ratios (each ratio from one run: both times measured side by
side) followed by its range over the runs, and each time is the median over the runs.
Benchmarks that record ``busy_over_idle`` (``bench/test_bench_busy.py``) get a table of
their own: idle and busy times and their ratio.  The chart shows, per group, each
variant's time relative to fastnn-numba in the first run (log scale; above 1 = slower
than fastnn).

Usage:
    python scripts/bench_report.py bench/results/run1.json [run2.json ...] \
        [--markdown OUT.md] [--png OUT.png]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys

OURS = "fastnn-numba"
REFERENCE = "fastnn-numpy"
_RATES = ("evaluations_per_second", "points_per_second", "gflops", "iterations_per_second")


def _variant(bench: dict) -> str:
    params = bench.get("params") or {}
    if "variant" in params:
        return str(params["variant"])
    match = re.search(r"\[([^\]]+)\]", bench["name"])
    return match.group(1) if match else OURS  # a benchmark of fastnn alone (e.g. start-up)


def load(path: str) -> dict[str, dict[str, dict]]:
    """{group: {variant: {"median": s, "min": s, "rate": (name, value) or None}}}."""
    with open(path) as handle:
        report = json.load(handle)
    groups: dict[str, dict[str, dict]] = {}
    for bench in report["benchmarks"]:
        stats = bench.get("stats") or {}
        if "median" not in stats:
            continue
        extra = bench.get("extra_info") or {}
        rate = next(((k, extra[k]) for k in _RATES if k in extra), None)
        groups.setdefault(bench.get("group") or bench["name"], {})[_variant(bench)] = {
            "median": stats["median"],
            "min": stats["min"],
            "rate": rate,
            "extra": extra,
        }
    return groups


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _peers(variants: dict) -> dict:
    return {k: v for k, v in variants.items() if not k.startswith("fastnn-")}


def summarise(groups) -> list[dict]:
    rows = []
    for group, variants in sorted(groups.items()):
        ours = variants.get(OURS)
        reference = variants.get(REFERENCE)
        peers = _peers(variants)
        best_peer = min(peers.items(), key=lambda kv: kv[1]["median"]) if peers else None
        rows.append(
            {
                "group": group,
                "variants": variants,
                "vs_reference": (reference["median"] / ours["median"])
                if ours and reference
                else None,
                "best_peer": best_peer[0] if best_peer else None,
                "vs_peer": (best_peer[1]["median"] / ours["median"])
                if ours and best_peer
                else None,
            }
        )
    return rows


def combine(runs: list[list[dict]]) -> list[dict]:
    """One row per group over several runs' :func:`summarise` rows.

    Times are medians over the runs; ratios are lists (one per run that has both sides).
    """
    by_group: dict[str, list[dict]] = {}
    for rows in runs:
        for row in rows:
            by_group.setdefault(row["group"], []).append(row)
    combined = []
    for group, rows in sorted(by_group.items()):
        variants: dict[str, dict] = {}
        for name in {name for row in rows for name in row["variants"]}:
            seen = [row["variants"][name] for row in rows if name in row["variants"]]
            rates = [v["rate"] for v in seen if v["rate"]]
            variants[name] = {
                "median": statistics.median(v["median"] for v in seen),
                "rate": (rates[0][0], statistics.median(r[1] for r in rates)) if rates else None,
            }
        peers = [row["best_peer"] for row in rows if row["best_peer"]]
        combined.append(
            {
                "group": group,
                "variants": variants,
                "runs": len(rows),
                "vs_reference": [r["vs_reference"] for r in rows if r["vs_reference"]],
                "best_peer": max(sorted(set(peers)), key=peers.count) if peers else None,
                "vs_peer": [r["vs_peer"] for r in rows if r["vs_peer"]],
            }
        )
    return combined


def _ratio(values: list[float], digits: int) -> str:
    """``**median x**`` and, over several runs, the range: ``**2.1x** (1.9-2.3)``."""
    if not values:
        return "-"
    text = f"**{statistics.median(values):.{digits}f}x**"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}-{max(values):.{digits}f})"
    return text


def markdown(rows) -> str:
    lines = [
        "| group | runs | fastnn-numba | fastnn-numpy | best peer | vs numpy | vs best peer "
        "| throughput |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        v = row["variants"]
        ours = v.get(OURS)
        ref = v.get(REFERENCE)
        peer = row["best_peer"]
        rate = ours["rate"] if ours else None
        lines.append(
            "| {group} | {runs} | {ours} | {ref} | {peer} | {vr} | {vp} | {rate} |".format(
                group=row["group"],
                runs=row["runs"],
                ours=_time(ours["median"]) if ours else "-",
                ref=_time(ref["median"]) if ref else "-",
                peer=f"{peer}: {_time(v[peer]['median'])}" if peer and peer in v else "-",
                vr=_ratio(row["vs_reference"], 1),
                vp=_ratio(row["vs_peer"], 2),
                rate=f"{rate[1]:.3g} {rate[0].replace('_per_second', '/s')}" if rate else "-",
            )
        )
    return "\n".join(lines) + "\n"


def variants_table(runs: list[dict], pattern: str) -> str:
    """Every variant of the groups matching ``pattern``: its time and its time over ours.

    Each ratio is taken within a run (both sides measured side by side), then its median
    and range over the runs; > 1 means fastnn-numba was faster.
    """
    lines = [
        "| group | variant | runs | median time | time / fastnn-numba |",
        "|---|---|---|---|---|",
    ]
    names = sorted({g for groups in runs for g in groups if re.search(pattern, g)})
    for group in names:
        variants = sorted({v for groups in runs for v in groups.get(group, {})})
        for variant in variants:
            seen = [groups[group] for groups in runs if variant in groups.get(group, {})]
            ratios = [v[variant]["median"] / v[OURS]["median"] for v in seen if OURS in v]
            lines.append(
                f"| {group} | {variant} | {len(seen)} | "
                f"{_time(statistics.median(v[variant]['median'] for v in seen))} | "
                f"{_ratio(ratios, 2) if variant != OURS else '1'} |"
            )
    return "\n".join(lines) + "\n"


def busy_table(runs: list[dict]) -> str:
    """Idle and busy times of the busy-machine benchmarks, over the runs (empty if none)."""
    found: dict[str, list[dict]] = {}
    for groups in runs:
        for group, variants in groups.items():
            for stats in variants.values():
                if "busy_over_idle" in stats["extra"]:
                    found.setdefault(group, []).append(stats["extra"])
    if not found:
        return ""
    lines = [
        "| workload | threads | idle | beside 2 busy processes | busy / idle |",
        "|---|---|---|---|---|",
    ]
    for group, extras in sorted(found.items()):
        lines.append(
            "| {w} | {c} | {i} | {b} | {r} |".format(
                w=group.removeprefix("busy-"),
                c=", ".join(sorted({e["choice"] for e in extras})),
                i=_time(statistics.median(e["idle_seconds"] for e in extras)),
                b=_time(statistics.median(e["busy_seconds"] for e in extras)),
                r=_ratio([e["busy_over_idle"] for e in extras], 2),
            )
        )
    return "\n".join(lines) + "\n"


def chart(rows, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    rows = [r for r in rows if OURS in r["variants"] and len(r["variants"]) > 1]
    labels, values, colours = [], [], []
    palette = {REFERENCE: "tab:orange"}
    for row in rows:
        ours = row["variants"][OURS]["median"]
        for variant, stats in sorted(row["variants"].items()):
            if variant == OURS:
                continue
            labels.append(f"{row['group']} / {variant}")
            values.append(stats["median"] / ours)
            colours.append(palette.get(variant, "tab:blue"))
    fig = Figure(figsize=(9, 0.28 * max(len(labels), 4) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(range(len(labels)), values, color=colours)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="k", lw=1)
    ax.set_xlabel("time relative to fastnn-numba (log scale; > 1: fastnn is faster)")
    ax.set_title("fastnn-numba vs the numpy reference (orange) and peers (blue)")
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.2g}x", va="center", fontsize=7)
    if values:
        ax.set_xlim(min(0.5, min(values) / 2), max(values) * 4 if max(values) > 0 else 10)
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", help="pytest-benchmark JSON files, one per run")
    parser.add_argument("--markdown", help="write the tables here (default: stdout)")
    parser.add_argument("--png", help="write the bar chart (of the first run) here")
    parser.add_argument(
        "--variants",
        metavar="REGEX",
        help="also tabulate every variant of the groups matching REGEX against fastnn-numba",
    )
    args = parser.parse_args(argv)
    loaded = [load(path) for path in args.json]
    runs = [summarise(groups) for groups in loaded]
    if not any(runs):
        print(
            f"{', '.join(args.json)}: no timed benchmarks (run with --benchmark-disable?)",
            file=sys.stderr,
        )
        return 1
    rows = combine(runs)
    table = markdown(rows)
    busy = busy_table(loaded)
    if busy:
        table += "\n" + busy
    if args.variants:
        table += "\n" + variants_table(loaded, args.variants)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(table)
    else:
        print(table, end="")
    if args.png:
        chart(runs[0], args.png)
    for row in rows:
        if row["vs_peer"] and statistics.median(row["vs_peer"]) < 1.0:
            print(
                f"note: {row['group']}: {row['best_peer']} is faster "
                f"({1 / statistics.median(row['vs_peer']):.2f}x fastnn-numba)",
                file=sys.stderr,
            )
    return 0 if all(math.isfinite(x) for r in rows for x in r["vs_reference"]) else 1


if __name__ == "__main__":
    sys.exit(main())
