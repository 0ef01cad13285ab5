"""The instructor's guide's timing table, counted from the lessons by a fixed model.

    python scripts/timing.py            print the table
    python scripts/timing.py --write    put it into INSTRUCTORS.md between its markers

The model (INSTRUCTORS.md, "How the times were estimated"): prose at 150 words a minute
(quick) or 100 (careful); half a minute for each example cell, 6 seconds for each of its
lines of code, 2 minutes with each widget; an exercise costs 5 minutes plus 2 minutes
for each line of its worked solution. Lines of code leave out blanks and comments.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402  (scripts/lessons.py: where the lessons are, their titles)

GUIDE = lessons.ROOT / "INSTRUCTORS.md"
START, STOP = "<!-- timing:", "<!-- end timing -->"


def code_lines(source: str) -> int:
    return sum(
        1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#")
    )


def solution_lines(source: str) -> int:
    inside, count = False, 0
    for line in source.splitlines():
        if line.strip() == lessons.BEGIN:
            inside = True
        elif line.strip() == lessons.END:
            inside = False
        elif inside and line.strip() and not line.strip().startswith("#"):
            count += 1
    return count


def count(path: Path) -> dict[str, object]:
    notebook = nbformat.read(path, as_version=4)
    words = sum(
        len(re.findall(r"\S+", c.source)) for c in notebook.cells if c.cell_type == "markdown"
    )
    examples, lines, widgets, solutions = 0, 0, 0, []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tags = set(cell.metadata.get("tags", []))
        if "solution" in tags:
            solutions.append(solution_lines(cell.source))
        elif "check" not in tags:
            examples += 1
            lines += code_lines(cell.source)
            if any(lessons.WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", [])):
                widgets += 1
    return {
        "words": words,
        "examples": examples,
        "lines": lines,
        "widgets": widgets,
        "solutions": solutions,
    }


def minutes(c: dict[str, object]) -> tuple[float, float, float]:
    run = 0.5 * c["examples"] + 0.1 * c["lines"] + 2 * c["widgets"]  # type: ignore[operator]
    quick, careful = c["words"] / 150 + run, c["words"] / 100 + run  # type: ignore[operator]
    exercises = sum(5 + 2 * n for n in c["solutions"])  # type: ignore[attr-defined]
    return quick, careful, exercises


def shown(m: float) -> str:
    m = 5 * round(m / 5)
    return f"{m} min" if m < 60 else f"{m // 60} h {m % 60:02d}"


def table() -> str:
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=lessons.ROOT,
        ).stdout.strip()
        or "unknown"
    )
    rows = [
        f"Counted on {datetime.date.today().isoformat()} from the lessons at commit `{commit}` "
        "by `python scripts/timing.py`. Times are for a quick and a careful learner.",
        "",
        "| # | Lesson | Words of prose | Example cells (lines of code) | Widgets | Exercises "
        "(lines of each worked solution) | Reading and examples | All exercises | Total |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    totals = [0.0, 0.0, 0.0]
    for path in lessons.lessons():
        c = count(path)
        quick, careful, exercises = minutes(c)
        totals = [totals[0] + quick, totals[1] + careful, totals[2] + exercises]
        name = lessons.title(nbformat.read(path, as_version=4)).split("·")[-1].strip()
        sol = c["solutions"]
        rows.append(
            f"| {path.name[:2]} | {name} | {c['words']:,} | {c['examples']} ({c['lines']}) | "
            f"{c['widgets']} | {len(sol)} ({', '.join(map(str, sol))}) | "  # type: ignore[arg-type]
            f"{shown(quick)} to {shown(careful)} | {shown(exercises)} | "
            f"{shown(quick + exercises)} to {shown(careful + exercises)} |"
        )
    q, c, e = totals
    rows.append(
        f"| | **All lessons** | | | | | **{shown(q)} to {shown(c)}** | **{shown(e)}** | "
        f"**{shown(q + e)} to {shown(c + e)}** |"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update INSTRUCTORS.md")
    text = table()
    if not parser.parse_args().write:
        print(text)
        return
    guide = GUIDE.read_text()
    start = guide.index("\n", guide.index(START)) + 1
    stop = guide.index(STOP)
    GUIDE.write_text(guide[:start] + text + "\n" + guide[stop:])


if __name__ == "__main__":
    main()
