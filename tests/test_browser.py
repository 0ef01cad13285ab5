"""The lessons as a learner meets them: a real JupyterLab in a real headless Chromium.

For every lesson: open it, Run All, wait for the kernel through the server's API, then
check that no cell shows an unexpected error, that every expected error is the stored
one, that every graph and plot is visible, that every widget rendered, and that moving
a slider (or pressing a button) changes what is shown. A screenshot of each lesson is
saved in screenshots/ (not in git). The static HTML edition is opened too.

The server and the browser are started once for the module and always stopped.
Run alone with: bash run.sh browser
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import lessons as lesson_tools  # noqa: E402

LESSONS = lesson_tools.lessons()
SCREENSHOTS = ROOT / "screenshots"
TOKEN = "adlearn-browser-test"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDGET = "application/vnd.jupyter.widget-view+json"
VISIBLE_CELL = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"


def chromium_path() -> str:
    for candidate in (
        os.environ.get("ADLEARN_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(
        "The browser test needs Chromium. Run `bash run.sh test` (it installs Debian's chromium), "
        "install it with `sudo apt-get install chromium`, or set ADLEARN_CHROMIUM."
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, path: str) -> object:
    with urllib.request.urlopen(f"{base}{path}?token={TOKEN}", timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving a copy of the lessons."""
    work = tmp_path_factory.mktemp("lab")
    root, home, settings = work / "notebooks", work / "home", work / "settings"
    shutil.copytree(lesson_tools.NOTEBOOKS, root)
    home.mkdir()
    for plugin, values in {
        "@jupyterlab/notebook-extension/tracker": {
            "autoStartDefaultKernel": True,
            "windowingMode": "none",
        },
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    }.items():
        target = settings / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    port = free_port()
    env = dict(os.environ, HOME=str(home), JUPYTERLAB_SETTINGS_DIR=str(settings))
    command = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(work / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                api(base, "/api/status")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (work / "server.log").read_text()
                    ) from None
                time.sleep(0.25)
        yield {"base": base, "root": root}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def kernel_idle(base: str, name: str) -> bool:
    sessions = [s for s in api(base, "/api/sessions") if s["path"].endswith(name)]  # type: ignore[union-attr]
    return bool(sessions) and all(s["kernel"]["execution_state"] == "idle" for s in sessions)


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


# One JavaScript pass over the rendered notebook: what each cell shows.
CELLS_JS = """
() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')].map(cell => {
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 20 && r.height > 20; };
  const loaded = img => img.complete && img.naturalWidth > 0;
  const prompt = cell.querySelector('.jp-InputPrompt');
  return {
    code: cell.classList.contains('jp-CodeCell'),
    hidden: cell.querySelector('.jp-InputPlaceholder') !== null,  // source collapsed
    prompt: prompt ? prompt.textContent.trim() : '',
    errors: [...cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => e.textContent.slice(0, 400)),
    svg: [...cell.querySelectorAll('.jp-RenderedSVG img, .jp-RenderedSVG svg')]
      .filter(i => (i.tagName !== 'IMG' || loaded(i)) && visible(i)).length,
    png: [...cell.querySelectorAll('.jp-RenderedImage img')].filter(i => loaded(i) && visible(i)).length,
    widgets: cell.querySelectorAll('.jp-OutputArea-output .jupyter-widgets.widget-container, .jp-OutputArea-output .jupyter-widgets.widget-inline-hbox, .jp-OutputArea-output .widget-vbox').length,
    widgetPictures: [...cell.querySelectorAll('.jupyter-widgets img, .widget-html-content svg')]
      .filter(el => visible(el)).length,
  };
})
"""

# A fingerprint of what a widget shows: its image bytes or its HTML.
SHOWN_JS = """
cell => [...cell.querySelectorAll('.jupyter-widgets img, .widget-html-content')]
  .map(el => el.tagName === 'IMG' ? el.src : el.innerHTML.length + ':' + el.innerHTML.slice(-2000)).join('|')
"""


def expected_cells(path: Path) -> list[dict]:
    """What the stored notebook says each cell shows."""
    notebook = nbformat.read(path, as_version=4)
    cells = []
    for cell in notebook.cells:
        info = {"code": cell.cell_type == "code", "raises": False, "svg": 0, "png": 0, "widgets": 0}
        if info["code"]:
            info["raises"] = "raises-exception" in cell.metadata.get("tags", [])
            info["error"] = next(
                (o["ename"] for o in cell.outputs if o["output_type"] == "error"), None
            )
            for output in cell.outputs:
                data = output.get("data", {})
                if WIDGET in data:
                    info["widgets"] += 1
                elif "image/svg+xml" in data:
                    info["svg"] += 1
                elif "image/png" in data:
                    info["png"] += 1
        cells.append(info)
    return cells


@pytest.mark.parametrize("path", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_in_jupyterlab(lab, browser, path):
    name = path.name
    expected = expected_cells(path)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        # A workspace of its own, reset, so that no earlier lesson's tab is restored.
        page.goto(f"{lab['base']}/lab/workspaces/{path.stem}/tree/{name}?reset&token={TOKEN}")
        page.wait_for_selector(VISIBLE_CELL, timeout=60_000)
        dialog = page.locator(".jp-Dialog .jp-mod-accept")
        if dialog.count():  # a kernel selection dialog: accept the default kernel
            dialog.first.click()
        wait_until(lambda: kernel_idle(lab["base"], name), 60, f"the kernel of {name} to start")

        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator('[data-command="runmenu:run-all"]').first.click()
        # A cell whose source is collapsed shows no prompt: count the others.
        shown_first = page.evaluate(CELLS_JS)
        code_cells = sum(1 for c in shown_first if c["code"] and not c["hidden"])

        def finished() -> bool:
            cells = page.evaluate(CELLS_JS)
            prompts = [c["prompt"] for c in cells if c["code"] and not c["hidden"]]
            done = sum(1 for p in prompts if p.strip("[]: ").isdigit())
            if done == code_cells:
                return kernel_idle(lab["base"], name)
            if done and "[*]:" not in prompts and kernel_idle(lab["base"], name):
                # Run All stopped early: say where and why, instead of timing out.
                for index, (cell, want) in enumerate(zip(cells, expected)):
                    if cell["errors"] and not want.get("raises"):
                        raise AssertionError(
                            f"{name}: Run All stopped at cell {index}: {cell['errors'][0]}"
                        )
            return False

        try:
            wait_until(finished, 180, f"Run All to finish in {name}")
        except AssertionError:
            prompts = [c["prompt"] for c in page.evaluate(CELLS_JS) if c["code"] and not c["hidden"]]
            waiting = [i for i, p in enumerate(prompts) if not p.strip("[]: ").isdigit()]
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{path.stem}-stuck.png"), full_page=True)
            raise AssertionError(
                f"{name}: Run All did not finish: {len(prompts) - len(waiting)} of "
                f"{code_cells} code cells ran; not run: {waiting[:5]} (prompts "
                f"{[prompts[i] for i in waiting[:5]]})"
            ) from None
        page.wait_for_timeout(500)  # let the last pictures decode
        shown = page.evaluate(CELLS_JS)
        assert len(shown) == len(expected), (
            f"{name}: {len(shown)} cells shown, {len(expected)} stored"
        )

        problems = []
        for index, (cell, want) in enumerate(zip(shown, expected)):
            where = f"{name}, cell {index}"
            if want["code"] and not want["raises"] and cell["errors"]:
                problems.append(f"{where}: unexpected error output: {cell['errors'][0]}")
            expected_error = any(want["error"] and want["error"] in e for e in cell["errors"])
            if want["raises"] and not expected_error:
                problems.append(f"{where}: expected {want['error']}, saw {cell['errors']}")
            if cell["svg"] < want["svg"]:
                problems.append(f"{where}: {want['svg']} graph(s) stored, {cell['svg']} visible")
            if cell["png"] < want["png"]:
                problems.append(f"{where}: {want['png']} plot(s) stored, {cell['png']} visible")
            if want["widgets"] and not (cell["widgets"] and cell["widgetPictures"]):
                problems.append(f"{where}: the widget did not render with its picture")
        assert not problems, "\n".join(problems)

        # Move one slider (or press one button) and see the picture change.
        widget_cells = page.locator(".jp-Notebook .jp-Cell").filter(
            has=page.locator(".jupyter-widgets")
        )
        assert widget_cells.count() > 0, f"{name}: no widget to interact with"
        cell = widget_cells.first
        cell.scroll_into_view_if_needed()
        before = cell.evaluate(SHOWN_JS)
        handle = cell.locator(".noUi-handle")
        button = cell.locator("button.jupyter-button:not([disabled])")
        if handle.count():
            handle.first.focus()
            for _ in range(3):
                handle.first.press("ArrowRight")
        else:
            button.first.click()
        wait_until(lambda: cell.evaluate(SHOWN_JS) != before, 20, f"{name}: the widget to redraw")
        # Every key press queues a redraw: let them all finish before the screenshot.
        wait_until(lambda: kernel_idle(lab["base"], name), 30, f"{name}: the redraws to finish")
        page.wait_for_timeout(300)

        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{path.stem}.png"))
    finally:
        page.close()
        stop_kernels(lab["base"], name)


def stop_kernels(base: str, name: str) -> None:
    """Shut down the lesson's kernel, so that lessons do not compete for the CPU."""
    for session in api(base, "/api/sessions"):  # type: ignore[union-attr]
        if session["path"].endswith(name):
            request = urllib.request.Request(
                f"{base}/api/sessions/{session['id']}?token={TOKEN}", method="DELETE"
            )
            urllib.request.urlopen(request, timeout=10).close()


# What one page of the static edition shows, once MathJax has finished.
STATIC_PAGE_JS = """
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const main = document.querySelector('main') || document.body;
  // The prose as a reader sees it: typeset maths, code and outputs taken out.
  const prose = main.cloneNode(true);
  prose.querySelectorAll('mjx-container, pre, code, .cell_output, script, style').forEach(e => e.remove());
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 20 && r.height > 20; };
  return {
    text: document.body.innerText,
    prose: prose.textContent,
    formulas: main.querySelectorAll('mjx-container').length,
    // The TeX of each formula that failed: an error box, or an unknown macro, which
    // is typeset as its own name in red (a backslash inside the formula).
    failed: window.MathJax && MathJax.startup && MathJax.startup.document
      ? [...MathJax.startup.document.math].filter(m => m.typesetRoot && (
          m.typesetRoot.querySelector('mjx-merror, [data-mjx-error]')
          || m.typesetRoot.textContent.includes('\\\\'))).map(m => m.math)
      : [],
    svg: [...main.querySelectorAll('img[src$=".svg"], .cell_output svg')].filter(i => (i.tagName !== 'IMG' || i.naturalWidth > 0) && visible(i)).length,
    png: [...main.querySelectorAll('img[src$=".png"]')].filter(i => i.naturalWidth > 0 && visible(i)).length,
    sidebar: [...document.querySelectorAll('.bd-sidenav a')].map(a => a.textContent.trim()),
    prev: document.querySelectorAll('.prev-next-area a.left-prev').length,
    next: document.querySelectorAll('.prev-next-area a.right-next').length,
    download: [...document.querySelectorAll('a.btn-download-source-button')].map(a => a.getAttribute('href')),
    binder: [...document.querySelectorAll('a[href*="mybinder.org"]')].map(a => a.href),
  };
}
"""
# TeX that MathJax should have turned into formulas: $$, $...$, \\( \\[, or a command.
RAW_TEX = re.compile(r"\$\$|\$[^$\s][^$]*\$|\\[(\[]|\\[A-Za-z]{2,}")
FOOTER = "Code: MIT licence. Lessons: CC BY 4.0. See LICENSE and LICENSE-lessons.md."


def test_static_edition_renders_every_formula_offline(browser, tmp_path):
    """Open every page of the static edition with the network cut off: every formula
    typeset by the site's own MathJax 3, no "Math Processing Error", no raw TeX left,
    graphs as SVG, plots, sidebar, previous/next, download and Binder links, search."""
    repository = "https://github.com/example/adlearn"
    # strict: a Sphinx warning (a link to a lesson that is not there) fails the build.
    pages = lesson_tools.static_edition(tmp_path / "site", repository=repository, strict=True)
    others = [tmp_path / "site" / f"{p.stem}.html" for p in lesson_tools.NOTEBOOKS.glob("*.md")]
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    outside: list[str] = []

    def offline(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:  # the edition must need nothing from the network
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    problems, counts = [], {}
    titles = [lesson_tools.title(nbformat.read(p, as_version=4)) for p in lesson_tools.lessons()]
    try:
        for html_page in [tmp_path / "site" / "index.html", *pages, *others]:
            name = html_page.name
            page.goto(html_page.as_uri())
            page.wait_for_load_state("load")
            shown = page.evaluate(STATIC_PAGE_JS)
            errors = shown["text"].count("Math Processing Error") + len(shown["failed"])
            raw = RAW_TEX.findall(shown["prose"])
            counts[name] = (shown["formulas"], errors, len(raw))
            if errors:
                problems.append(f"{name}: {errors} maths error(s) in {shown['failed']}")
            if raw:
                problems.append(f"{name}: raw TeX left in the text: {raw[:5]}")
            if FOOTER not in shown["text"]:
                problems.append(f"{name}: no licence footer")
            missing = [t for t in titles if t not in shown["sidebar"]]
            if missing:
                problems.append(f"{name}: the sidebar misses the lessons {missing}")
            if html_page in pages:
                lesson = lesson_tools.NOTEBOOKS / f"{html_page.stem}.ipynb"
                want = expected_cells(lesson)
                if not shown["formulas"]:
                    problems.append(f"{name}: no formula typeset")
                if shown["svg"] < sum(c["svg"] for c in want):
                    problems.append(f"{name}: {shown['svg']} SVG graphs visible, fewer than stored")
                if shown["png"] < sum(c["png"] for c in want):
                    problems.append(f"{name}: {shown['png']} plots visible, fewer than stored")
                if shown["download"] != [f"_sources/{lesson.name}"]:
                    problems.append(f"{name}: download link {shown['download']}")
                binder = f"mybinder.org/v2/gh/example/adlearn/main?urlpath=lab/tree/notebooks/{lesson.name}"
                if not any(binder in link for link in shown["binder"]):
                    problems.append(f"{name}: Binder link {shown['binder']}")
                index = pages.index(html_page)
                if (shown["prev"], shown["next"]) != (
                    1,
                    int(index + 1 < len(pages) or bool(others)),
                ):
                    problems.append(f"{name}: previous/next links {shown['prev']}/{shown['next']}")
                SCREENSHOTS.mkdir(exist_ok=True)
                page.screenshot(
                    path=str(SCREENSHOTS / f"static-{html_page.stem}.png"), full_page=True
                )
        # Search works from the files alone.
        page.goto((tmp_path / "site" / "search.html").as_uri() + "?q=dual")
        wait_until(lambda: page.locator("#search-results li").count() > 0, 30, "search results")
    finally:
        context.close()
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    print(f"static edition: {total[0]} formulas, {total[1]} maths errors, {total[2]} raw TeX")
    assert not outside, f"the static edition fetched from the network: {outside[:5]}"
    assert not problems, "\n".join(problems)
