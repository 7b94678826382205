"""Run the demo gallery: every panel of :data:`dmm.demo.PANELS` in order, then one gallery figure
(``gallery.png``) and a metrics table (``metrics.md``, ``metrics.json``) in the output folder.

A panel that fails is reported (its traceback goes to ``<panel>/error.txt``) and the others still
run; the runner's status is then non-zero.
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .base import DemoPanel


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.3g}"
    return str(v)


def run_gallery(
    out: Path,
    panels: Sequence[DemoPanel],
    *,
    quick: bool = False,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Run ``panels`` into ``out/<panel.name>/`` and write the gallery; returns one record each."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    start = time.perf_counter()
    for k, panel in enumerate(panels, 1):
        log(f"[{k}/{len(panels)}] {panel.name}: {panel.title} ...")
        panel_dir = out / panel.name
        panel_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        record: dict[str, Any] = {"name": panel.name, "title": panel.title}
        try:
            result = panel.run(panel_dir, seed, quick)
        except Exception as exc:  # one broken panel must not hide the others
            (panel_dir / "error.txt").write_text(traceback.format_exc())
            record.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:300])
            log(
                f"      FAILED after {time.perf_counter() - t0:.1f} s: {record['error']} "
                f"(traceback in {panel_dir / 'error.txt'})"
            )
        else:
            record.update(
                status="ok",
                figure=str(Path(result.figure).resolve().relative_to(out.resolve()))
                if Path(result.figure).resolve().is_relative_to(out.resolve())
                else str(result.figure),
                metrics={k: float(v) for k, v in result.metrics.items()},
                summary=result.summary,
            )
            log(f"      done in {time.perf_counter() - t0:.1f} s: {result.summary}")
        record["seconds"] = round(time.perf_counter() - t0, 2)
        records.append(record)
    total = time.perf_counter() - start
    tiles = [
        (f"{r['title']}\n{r.get('summary', '')}", out / r["figure"])
        for r in records
        if r["status"] == "ok"
    ]
    if tiles:
        from ..plotting import gallery

        gallery(tiles, out / "gallery.png")
    _write_tables(out, records, total, quick)
    ok = sum(r["status"] == "ok" for r in records)
    log(
        f"demo: {ok}/{len(records)} panels in {total:.1f} s -> {out / 'gallery.png'}, "
        f"{out / 'metrics.md'}"
    )
    return records


def _write_tables(out: Path, records: list[dict[str, Any]], total: float, quick: bool) -> None:
    clean = [
        {
            **r,
            "metrics": {
                k: (v if math.isfinite(v) else None) for k, v in r.get("metrics", {}).items()
            },
        }
        for r in records
    ]
    (out / "metrics.json").write_text(
        json.dumps({"quick": quick, "total_seconds": round(total, 2), "panels": clean}, indent=2)
        + "\n"
    )
    lines = [
        f"# dmm demo{' (quick)' if quick else ''}",
        "",
        f"Total time: {total:.1f} s.",
        "",
        "| panel | status | seconds | summary | metrics |",
        "|---|---|---|---|---|",
    ]
    for r in records:
        metrics = ", ".join(f"{k}={_fmt(v)}" for k, v in r.get("metrics", {}).items())
        text = r.get("summary", r.get("error", "")).replace("|", "/")
        lines.append(f"| {r['name']} | {r['status']} | {r['seconds']:.1f} | {text} | {metrics} |")
    (out / "metrics.md").write_text("\n".join(lines) + "\n")
