"""The benchmark's table (each figure against the ceiling and its target) and its figure."""

from pathlib import Path


def _row(name, value, unit, ratio, target="", met=None):
    verdict = "" if met is None else ("yes" if met else "NO")
    return f"| {name} | {value} | {unit} | {ratio} | {target} | {verdict} |"


def verdicts(results: dict) -> dict:
    """Each target and whether this run met it."""
    targets, growth = results["targets"], results["growth"]
    book_ratio = results["book"]["rps"] / results["ceiling"]["rps"]
    growth_ratio = growth[-1]["book"]["p50_ms"] / growth[0]["book"]["p50_ms"]
    c = results["contention"]
    exact = (
        c["winners"] == c["capacity"]
        and c["refused_409"] == c["clients"] - c["capacity"]
        and c["server_errors"] == 0
    )
    return {
        "book_vs_ceiling": (round(book_ratio, 3), book_ratio >= targets["book_vs_ceiling"]),
        "contention_exact": (exact, exact),
        "contention_p99_ms": (c["p99_ms"], c["p99_ms"] < targets["contention_p99_ms"]),
        "growth_book_ratio": (round(growth_ratio, 2), growth_ratio <= targets["growth_book_ratio"]),
    }


def table(results: dict) -> str:
    """A Markdown table: throughputs against the ceiling's req/s, latencies against the
    ceiling's latency (GET /health from one client)."""
    ceiling, base = results["ceiling"]["rps"], results["ceiling_sequential"]["p50_ms"]
    c, v = results["contention"], verdicts(results)
    targets = results["targets"]
    rows = [
        "| figure | value | unit | vs ceiling | target | met |",
        "|---|---:|---|---:|---|---|",
        _row("ceiling: GET /health, 8 threads", f"{ceiling:.0f}", "req/s", "1.00"),
        _row("ceiling latency: GET /health, 1 client, p50", f"{base:.2f}", "ms", "1.00"),
        _row(
            "GET /slots?page_size=20 (1k slots)",
            f"{results['list']['rps']:.0f}",
            "req/s",
            f"{results['list']['rps'] / ceiling:.2f}",
        ),
        _row(
            "POST /appointments/book, distinct slots",
            f"{results['book']['rps']:.0f}",
            "req/s",
            f"{v['book_vs_ceiling'][0]:.2f}",
            f">= {targets['book_vs_ceiling']} x ceiling",
            v["book_vs_ceiling"][1],
        ),
        _row(
            f"contention: {c['clients']} holds on 1 slot of {c['capacity']}",
            f"{c['winners']} x 201, {c['refused_409']} x 409, {c['server_errors']} x 5xx",
            "answers",
            "",
            f"exactly {c['capacity']} win",
            v["contention_exact"][1],
        ),
    ]
    herd = results["ceiling_herd"]
    rows.append(
        _row(
            f"ceiling herd: {c['clients']} x GET /health at once, p99",
            f"{herd['p99_ms']:.0f}",
            "ms",
            f"{herd['p99_ms'] / base:.0f}x",
        )
    )
    for p in (50, 95, 99):
        target = f"< {targets['contention_p99_ms']} ms" if p == 99 else ""
        met = v["contention_p99_ms"][1] if p == 99 else None
        rows.append(
            _row(
                f"contention latency p{p}",
                f"{c[f'p{p}_ms']:.0f}",
                "ms",
                f"{c[f'p{p}_ms'] / base:.0f}x",
                target,
                met,
            )
        )
    for point in results["growth"]:
        for kind, label in (("book", "book"), ("list", "GET /slots page 1")):
            p50 = point[kind]["p50_ms"]
            rows.append(
                _row(
                    f"{label} latency p50, {point['slots']:,} slots stored",
                    f"{p50:.1f}",
                    "ms",
                    f"{p50 / base:.0f}x",
                )
            )
    last = results["growth"][-1]["slots"]
    rows.append(
        _row(
            f"booking latency {last:,} / {results['growth'][0]['slots']:,} slots",
            f"{v['growth_book_ratio'][0]:.2f}",
            "ratio",
            "",
            f"<= {targets['growth_book_ratio']}",
            v["growth_book_ratio"][1],
        )
    )
    return "\n".join(rows)


def draw(results: dict, path: Path) -> None:
    """Left: the contention run's latency distribution; right: latency against slots stored."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = results["contention"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    left.hist(c["latencies_ms"], bins=40, color="#4c72b0", label="hold (contention)")
    herd = results["ceiling_herd"]
    left.axvline(
        herd["p99_ms"],
        color="#8172b2",
        linestyle="-.",
        label=f"GET /health herd p99 {herd['p99_ms']:.0f} ms",
    )
    for p, style in ((50, "-"), (95, "--"), (99, ":")):
        left.axvline(
            c[f"p{p}_ms"], color="#c44e52", linestyle=style, label=f"p{p} {c[f'p{p}_ms']:.0f} ms"
        )
    left.set(
        title=f"{c['clients']} clients hold 1 slot of {c['capacity']} seats: "
        f"{c['winners']} x 201, {c['refused_409']} x 409",
        xlabel="latency (ms)",
        ylabel="requests",
    )
    left.legend()
    sizes = [p["slots"] for p in results["growth"]]
    for kind, label, color in (
        ("book", "POST /appointments/book", "#55a868"),
        ("list", "GET /slots?page_size=20", "#dd8452"),
    ):
        p50 = [p[kind]["p50_ms"] for p in results["growth"]]
        p95 = [p[kind]["p95_ms"] for p in results["growth"]]
        right.plot(sizes, p50, marker="o", color=color, label=f"{label} p50")
        right.plot(sizes, p95, marker="x", linestyle="--", color=color, label=f"{label} p95")
    right.set(
        xscale="log",
        yscale="log",
        title="latency as slots are stored (one client)",
        xlabel="slots stored",
        ylabel="latency (ms)",
    )
    right.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
