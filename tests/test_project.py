"""The project's promises about itself: set-up files agree, lessons are indexed."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
LESSON_NAME = re.compile(r"^(\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)\.ipynb$")
# PyPI name -> conda-forge name, where they differ.
CONDA_NAME = {
    "graphviz": "python-graphviz",
    "matplotlib": "matplotlib-base",
    "torch": "pytorch-cpu",
}


def split_requirement(text):
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", text.split(";")[0])
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            for line in item["pip"]:
                if not line.startswith("-"):
                    name, spec = split_requirement(line)
                    pip[name] = spec
        else:
            name, spec = split_requirement(item)
            conda[name] = spec
    assert "graphviz" in conda, "environment.yml needs conda-forge's graphviz: the dot program"
    assert "conda-forge" in env["channels"]
    for requirement in wanted:
        name, spec = split_requirement(requirement)
        found = conda.get(CONDA_NAME.get(name, name), pip.get(name))
        assert found is not None, f"{name} is in pyproject.toml but not in environment.yml"
        assert found == spec, f"{name}: pyproject.toml says {spec!r}, environment.yml {found!r}"


def lessons():
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_lessons_are_numbered_contiguously_from_00():
    numbers = []
    for path in lessons():
        match = LESSON_NAME.match(path.name)
        assert match, f"{path.name} should be named NN-short-title.ipynb"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(len(numbers)))


def lesson_title(path):
    cells = json.loads(path.read_text())["cells"]
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith("# "), path.name
    return first.splitlines()[0][2:].strip()


def test_readme_index_lists_every_lesson_with_its_title():
    readme = (ROOT / "README.md").read_text()
    index = readme.split("<!-- lesson-index")[1].split("<!-- end lesson-index -->")[0]
    rows = re.findall(r"^\| (\d\d) \| \[(.+?)\]\(notebooks/(.+?)\) \|$", index, re.M)
    expected = [(p.name[:2], lesson_title(p), p.name) for p in lessons()]
    assert rows == expected


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash run.sh test" in readme and "bash run.sh lab" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^bash run\.sh test$", ci, re.M)


def test_public_surface_is_explicit():
    import adlearn

    assert sorted(adlearn.__all__) == sorted(set(adlearn.__all__))
    for name in adlearn.__all__:
        assert hasattr(adlearn, name), name
    assert (ROOT / "adlearn" / "py.typed").exists()


def test_binder_installs_adlearn_after_the_environment():
    post_build = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert os.access(ROOT / "postBuild", os.X_OK)


def test_run_sh_help_lists_every_command_and_nothing_else():
    result = subprocess.run(
        ["bash", str(ROOT / "run.sh"), "help"], capture_output=True, text=True, check=True
    )
    script = (ROOT / "run.sh").read_text()
    commands = re.findall(r"^  ([a-z|]+)\)$", script, re.M)
    for command in "|".join(commands).split("|"):
        assert f"bash run.sh {command}" in result.stdout, command
    assert "set -euo" not in result.stdout and "#" not in result.stdout


def test_lesson_tools_leave_no_home_behind_and_no_empty_pythonpath(monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    import lessons

    monkeypatch.delenv("PYTHONPATH", raising=False)
    before = dict(os.environ)
    with lessons.isolated_environment():
        home = Path(os.environ["HOME"])
        assert home.is_dir()
        # An empty entry would put the current directory on the kernels' path.
        assert os.environ["PYTHONPATH"].split(os.pathsep) == [str(ROOT)]
    assert not home.exists()
    assert dict(os.environ) == before


def test_run_sh_takes_adlearn_chromium_before_trying_apt_get(tmp_path):
    # A browser named by ADLEARN_CHROMIUM is checked first; apt-get is never tried.
    env = dict(os.environ, ADLEARN_CHROMIUM=str(tmp_path / "no-such-browser"))
    result = subprocess.run(
        ["bash", str(ROOT / "run.sh"), "browser"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode != 0
    assert "no-such-browser is not an executable program" in result.stderr
    assert "apt-get" not in result.stderr


def test_run_sh_shows_why_the_python_packages_do_not_import(tmp_path):
    # A broken matplotlib set-up (here: an unknown backend) must not exit silently.
    env = dict(os.environ, MPLBACKEND="no-such-backend")
    result = subprocess.run(
        ["bash", str(ROOT / "run.sh"), "learner", str(tmp_path / "learner")],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 1
    assert "'no-such-backend' is not a valid value for backend" in result.stderr
    assert "do not import" in result.stderr
    assert not (tmp_path / "learner").exists()
