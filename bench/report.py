"""The benchmark's table (each figure, its ratio to the bare Flask app and its goal) and chart."""

from pathlib import Path


def figures(results: dict) -> list[tuple]:
    """(name, value, unit, ratio to bare Flask or None, goal or "", met or None)."""
    t, hello = results["targets"], results["hello"]["cpu_ms_per_request"]
    rows = [("bare Flask GET /hello: server CPU", hello, "ms/req", 1.0, "", None)]
    for key, label in (("health", "GET /health"),):
        cpu = results[key]["cpu_ms_per_request"]
        rows.append((f"{label}: server CPU", cpu, "ms/req", cpu / hello, "", None))
    for key, level in (("book_info", "INFO"), ("book_warning", "WARNING")):
        cpu = results[key]["cpu_ms_per_request"]
        ratio = cpu / hello
        goal = t["book_cpu_vs_hello"]
        rows.append(
            (
                f"book at LOG_LEVEL={level}: server CPU",
                cpu,
                "ms/req",
                ratio,
                f"<= {goal}x",
                ratio <= goal,
            )
        )
        rows.append(
            (
                f"book at LOG_LEVEL={level}: req/s (8 clients)",
                results[key]["rps"],
                "req/s",
                results[key]["rps"] / results["hello"]["rps"],
                "",
                None,
            )
        )
    c, herd = results["contention"], results["hello_herd"]
    exact = (
        c["winners"] == c["capacity"]
        and c["refused_409"] == c["clients"] - c["capacity"]
        and c["server_errors"] == 0
    )
    rows.append(
        (
            f"contention: {c['clients']} holds on 1 slot of {c['capacity']}",
            f"{c['winners']} x 201, {c['refused_409']} x 409, {c['server_errors']} x 5xx",
            "answers",
            None,
            f"exactly {c['capacity']} win",
            exact,
        )
    )
    rows.append(
        (
            f"bare Flask herd: {c['clients']} x GET /hello at once, p99",
            herd["p99_ms"],
            "ms",
            1.0,
            "",
            None,
        )
    )
    ratio = c["p99_ms"] / herd["p99_ms"]
    goal = t["contention_p99_vs_hello"]
    rows.append(("contention p99", c["p99_ms"], "ms", ratio, f"<= {goal}x", ratio <= goal))
    hello_p50 = results["hello_stall"]["p50_ms"]
    for kind, label in (
        ("slots", "GET /slots page 1"),
        ("appointments", "GET /appointments?userId="),
    ):
        small, large = results["lists_1k"][kind]["p50_ms"], results["lists_50k"][kind]["p50_ms"]
        rows.append((f"{label}, 1k stored, p50", small, "ms", small / hello_p50, "", None))
        rows.append((f"{label}, 50k stored, p50", large, "ms", large / hello_p50, "", None))
        growth = large / small
        goal = t["lists_growth"]
        rows.append(
            (f"{label}: 50k / 1k", round(growth, 2), "ratio", None, f"<= {goal}", growth <= goal)
        )
    s, stored = results["sweep"], results["lists_50k"]["stored"]
    rows.append(
        (
            f"sweep pass, nothing due, {stored['slots']:,} slots, "
            f"{stored['appointments']:,} appointments (mean of {s['passes']:.0f})",
            s["mean_ms"],
            "ms",
            None,
            f"<= {t['sweep_idle_ms']} ms",
            s["mean_ms"] <= t["sweep_idle_ms"],
        )
    )
    worst, base = results["stall"]["max_ms"], results["hello_stall"]["max_ms"]
    rows.append(("bare Flask: worst GET /hello, 1 client back to back", base, "ms", 1.0, "", None))
    extra = worst - base
    rows.append(
        (
            "worst GET /health with the jobs on (50k slots)",
            worst,
            "ms",
            worst / base,
            f"<= bare + {t['stall_extra_ms']} ms",
            extra <= t["stall_extra_ms"],
        )
    )
    return rows


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def table(results: dict) -> str:
    lines = [
        "| figure | value | unit | vs bare Flask | goal | met |",
        "|---|---:|---|---:|---|---|",
    ]
    for name, value, unit, ratio, goal, met in figures(results):
        shown = "" if ratio is None else f"{ratio:.2f}x"
        verdict = "" if met is None else ("yes" if met else "NO")
        lines.append(f"| {name} | {_fmt(value)} | {unit} | {shown} | {goal} | {verdict} |")
    return "\n".join(lines)


def draw(results: dict, path: Path) -> None:
    """Left: server CPU per request against bare Flask; middle: contention latencies against
    the bare Flask herd; right: list latency with 1k and 50k stored."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (cpu, herd, grow) = plt.subplots(1, 3, figsize=(16, 4.8))
    hello = results["hello"]["cpu_ms_per_request"]
    names = ["hello", "health", "book INFO", "book WARNING"]
    values = [hello] + [
        results[k]["cpu_ms_per_request"] for k in ("health", "book_info", "book_warning")
    ]
    cpu.bar(names, [v / hello for v in values], color=["#8172b2", "#4c72b0", "#55a868", "#55a868"])
    cpu.axhline(
        results["targets"]["book_cpu_vs_hello"],
        color="#c44e52",
        linestyle="--",
        label="goal for book",
    )
    cpu.set(title=f"server CPU per request / bare Flask ({hello:.2f} ms)", ylabel="ratio")
    cpu.legend()
    c, h = results["contention"], results["hello_herd"]
    herd.hist(
        h["latencies_ms"],
        bins=40,
        alpha=0.6,
        color="#8172b2",
        label=f"bare Flask herd, p99 {h['p99_ms']:.0f} ms",
    )
    herd.hist(
        c["latencies_ms"],
        bins=40,
        alpha=0.6,
        color="#4c72b0",
        label=f"holds on 1 slot, p99 {c['p99_ms']:.0f} ms",
    )
    herd.set(
        title=f"{c['clients']} clients at once: {c['winners']} x 201, {c['refused_409']} x 409",
        xlabel="latency (ms)",
        ylabel="requests",
    )
    herd.legend()
    sizes = [results["lists_1k"]["stored"]["slots"], results["lists_50k"]["stored"]["slots"]]
    for kind, label, color in (
        ("slots", "GET /slots page 1", "#dd8452"),
        ("appointments", "GET /appointments?userId=", "#55a868"),
    ):
        p50 = [results[k][kind]["p50_ms"] for k in ("lists_1k", "lists_50k")]
        grow.plot(sizes, p50, marker="o", color=color, label=f"{label} p50")
    grow.set(
        xscale="log",
        title="lists as data is stored (one client)",
        xlabel="slots stored",
        ylabel="latency (ms)",
        ylim=(0, None),
    )
    grow.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
