"""Measure each lesson kernel's peak memory for the instructor's guide.

    python scripts/memory.py [NOTEBOOK ...]     print a row per lesson

Each lesson runs top to bottom in a fresh kernel (nbclient, as `run.sh refresh` does), with
one extra cell at the end that reads the kernel's peak resident memory (VmHWM in
/proc/self/status); "twice" runs every code cell a second time in the same kernel, as a
learner who re-runs the whole lesson does. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402

PEAK = "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')))"


def peak_mib(path: Path, times: int) -> int:
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    notebook.cells = code * times + [nbformat.v4.new_code_cell(PEAK)]
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with lessons.isolated_environment():
        client.execute()
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    return round(int(text.split()[0]) / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    paths = [p.resolve() for p in parser.parse_args().notebooks] or lessons.lessons()
    for path in paths:
        once, twice = peak_mib(path, 1), peak_mib(path, 2)
        print(
            f"| Kernel, lesson {path.name[:2]}, Run All once / twice | {once} MiB / {twice} MiB |"
        )


if __name__ == "__main__":
    main()
