#!/usr/bin/env bash
# adlearn's one entry point. Each command sets up what it needs, then does its job.
#
#   bash run.sh lab       set up, then open the lessons in JupyterLab
#   bash run.sh test      set up, then run every test (lint, types, unit, lessons, browser)
#   bash run.sh browser   set up, then run only the browser test of the lessons
#   bash run.sh bench     run the benchmark against plain floats and micrograd
#   bash run.sh refresh [NOTEBOOK ...]   re-run lessons and store their outputs
#   bash run.sh learner [DIR]   write the learner edition (exercises unsolved), default build/learner
#   bash run.sh static [DIR]    write the static HTML edition (a website), default build/static
#   bash run.sh course [DIR]    write an nbgrader course of the lessons, default build/course
#
# Set-up: a virtual environment in .venv with adlearn and its Python packages, plus
# the system programs it needs: graphviz's `dot` (and Chromium for `test`). As root,
# or with password-less sudo, they are installed with apt-get; otherwise you are told
# which package to install. Set ADLEARN_PYTHON to choose the Python (default python3;
# changing it rebuilds .venv) and ADLEARN_CHROMIUM to use your own Chromium or Chrome.
set -euo pipefail
cd "$(dirname "$0")"

VENV=".venv"
export PYTHONHASHSEED=0  # lessons print sets and dicts the same way every run
PYTHON="${ADLEARN_PYTHON:-python3}"
APT_UPDATED=""

say() { printf 'adlearn: %s\n' "$*" >&2; }

# Run apt-get as root, through password-less sudo, or not at all (returns 1).
# (No arrays: macOS's bash 3.2 treats an empty one as unset under `set -u`.)
apt_install() {
  local runner=""
  if ! command -v apt-get >/dev/null 2>&1; then return 1; fi
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then runner="sudo -n"; else return 1; fi
  fi
  if [ -z "$APT_UPDATED" ]; then
    $runner apt-get update -qq >/dev/null && APT_UPDATED=1
  fi
  say "installing $* with apt-get"
  $runner env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# require PROGRAM DEBIAN-PACKAGE WHY HOW-ELSE: make sure a system program exists.
require() {
  local program="$1" package="$2" why="$3" other="$4"
  command -v "$program" >/dev/null 2>&1 && return 0
  apt_install "$package" || true
  command -v "$program" >/dev/null 2>&1 && return 0
  say "the '$program' program is missing; $why."
  say "install it, then run this again: sudo apt-get install $package (Debian/Ubuntu)$other"
  return 1
}

# nbgrader (installed for instructors and the tests) adds a menu and a Validate button
# to JupyterLab, which learners do not need: switch its Jupyter extensions off. The
# command line (nbgrader generate_assignment, autograde) is unaffected; README tells
# instructors how to switch them on.
hide_grading_ui() {
  [ -x "$VENV/bin/nbgrader" ] || return 0
  local part
  {
    "$VENV/bin/jupyter" labextension disable --level=sys_prefix @jupyter/nbgrader
    for part in formgrader validate_assignment assignment_list course_list; do
      "$VENV/bin/jupyter" server extension disable --sys-prefix "nbgrader.server_extensions.$part"
    done
  } >>"$VENV/pip.log" 2>&1
}

# Did an install since pyproject.toml last changed include every extra in $1 (a,b,c)?
installed_already() {
  local stamp have extra missing
  for stamp in "$VENV"/.adlearn-installed-*; do
    [ -f "$stamp" ] && [ ! pyproject.toml -nt "$stamp" ] || continue
    have=",${stamp##*/.adlearn-installed-},"
    missing=""
    for extra in $(printf '%s' "$1" | tr ',' ' '); do
      case "$have" in *",$extra,"*) ;; *) missing=1 ;; esac
    done
    [ -z "$missing" ] && return 0
  done
  return 1
}

# Which interpreter a Python is (a virtual environment counts as its base Python).
python_identity() {
  "$1" -c 'import sys; print(sys.base_prefix, *sys.version_info[:3])' 2>/dev/null || echo none
}

# On Linux, PyPI's PyTorch wheel brings several GB of NVIDIA GPU libraries that no lesson
# needs. So before the first install of the bridge extra, when .venv has no torch yet,
# install PyTorch's CPU build from PyTorch's own index (the same versions as pyproject.toml);
# the install that follows keeps it. If that index cannot be reached (offline, behind a
# proxy), give up quickly, say so in one line, and let the normal install take PyPI's build.
TORCH_CPU_INDEX="https://download.pytorch.org/whl/cpu"
TORCH_VERSIONS="torch>=2.13,<2.14"
install_cpu_torch() {
  [ "$(uname -s)" = Linux ] || return 0
  case ",$1," in *,bridge,*) ;; *) return 0 ;; esac
  if "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("torch") is None)' \
      2>/dev/null; then
    return 0
  fi
  say "installing PyTorch's CPU build from $TORCH_CPU_INDEX"
  if ! "$VENV/bin/python" -m pip install --quiet --timeout 10 --retries 0 \
      --index-url "$TORCH_CPU_INDEX" "$TORCH_VERSIONS" >"$VENV/pip-torch-cpu.log" 2>&1; then
    say "PyTorch's CPU index cannot be reached: installing PyPI's PyTorch instead (with GPU libraries)"
  fi
}

setup_python() {
  local extras="$1" stamp
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    say "adlearn needs Python 3.10 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)."
    say "install a newer Python, or point ADLEARN_PYTHON at one."
    exit 1
  fi
  # A different ADLEARN_PYTHON than the one .venv was made with: make it again.
  if [ -x "$VENV/bin/python" ] && [ -n "${ADLEARN_PYTHON:-}" ] \
      && [ "$(python_identity "$PYTHON")" != "$(python_identity "$VENV/bin/python")" ]; then
    say "ADLEARN_PYTHON=$PYTHON is not the Python of $VENV: making $VENV again with it"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      rm -rf "$VENV"
      local version
      version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt_install "python${version}-venv" || apt_install python3-venv || {
        say "Python cannot create a virtual environment here."
        say "install it, then run this again: sudo apt-get install python3-venv"
        exit 1
      }
      "$PYTHON" -m venv "$VENV"
    fi
  fi
  # Install only when pyproject.toml changed or extras not installed yet are wanted.
  stamp="$VENV/.adlearn-installed-$extras"
  if ! installed_already "$extras"; then
    say "installing adlearn and its Python packages into $VENV (about a minute the first time)"
    # pip's own messages go to a log, shown only when something goes wrong.
    if ! "$VENV/bin/python" -m pip install --quiet --upgrade pip >"$VENV/pip.log" 2>&1; then
      tail -n 30 "$VENV/pip.log" >&2
      say "upgrading pip failed; the whole log is in $VENV/pip.log"
      exit 1
    fi
    install_cpu_torch "$extras"
    if ! "$VENV/bin/python" -m pip install --quiet -e ".[$extras]" >>"$VENV/pip.log" 2>&1; then
      tail -n 30 "$VENV/pip.log" >&2
      say "installing the Python packages failed; the whole log is in $VENV/pip.log"
      exit 1
    fi
    hide_grading_ui
    touch "$stamp"
  fi
  # matplotlib builds a font cache on first import and says so on stderr; do it now,
  # in a fixed place, so that the message never lands inside a lesson's output. Its
  # words are shown only if the import fails (a broken install must not pass silently).
  export MPLCONFIGDIR="$PWD/$VENV/matplotlib"
  local said
  if ! said=$("$VENV/bin/python" -c 'import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot' 2>&1); then
    printf '%s\n' "$said" >&2
    say "the Python packages in $VENV do not import; delete $VENV and run this again"
    exit 1
  fi
  # Programs installed into .venv (nbgrader runs `alembic`, for one) are found by name.
  export PATH="$PWD/$VENV/bin:$PATH"
}

need_dot() {
  require dot graphviz "adlearn draws computation graphs with it" \
    ", brew install graphviz (macOS), or conda install -c conda-forge graphviz"
}

need_chromium() {
  if [ -n "${ADLEARN_CHROMIUM:-}" ]; then  # your own browser: no apt-get
    [ -x "$ADLEARN_CHROMIUM" ] && return 0
    say "ADLEARN_CHROMIUM=$ADLEARN_CHROMIUM is not an executable program"
    return 1
  fi
  require chromium chromium "the browser test drives it" ", or set ADLEARN_CHROMIUM to a Chromium or Chrome binary"
}

# Tests write kernels, browser profiles and caches into $HOME: give them their own.
TEST_HOME=""
cleanup() { if [ -n "$TEST_HOME" ]; then rm -rf "$TEST_HOME"; fi; }
trap cleanup EXIT
with_clean_home() {
  TEST_HOME=$(mktemp -d "${TMPDIR:-/tmp}/adlearn-home.XXXXXX")
  HOME="$TEST_HOME" "$@"
}

command="${1:-help}"
shift || true
case "$command" in
  lab)
    setup_python lessons,bridge
    need_dot || say "continuing without it: everything works except drawing graphs."
    exec "$VENV/bin/jupyter" lab notebooks/ "$@"
    ;;
  test)
    setup_python lessons,test,instructor,bridge
    need_dot
    need_chromium
    say "lint (ruff) and types (mypy)"
    "$VENV/bin/ruff" check .
    "$VENV/bin/mypy" --no-error-summary
    say "unit tests, every lesson under strict nbval, and the browser test"
    with_clean_home "$VENV/bin/python" -m pytest tests notebooks --nbval --nbval-current-env \
      --nbval-sanitize-with nbval-sanitize.cfg "$@"
    ;;
  browser)
    setup_python lessons,test,instructor,bridge
    need_dot
    need_chromium
    with_clean_home "$VENV/bin/python" -m pytest tests/test_browser.py "$@"
    ;;
  bench)
    setup_python lessons,test,bridge
    "$VENV/bin/python" benchmarks/engines.py "$@"
    exec "$VENV/bin/python" benchmarks/arrays.py "$@"
    ;;
  refresh)
    setup_python lessons,test,bridge
    need_dot
    exec "$VENV/bin/python" scripts/lessons.py execute "$@"
    ;;
  learner|static|course)
    if [ "$command" = learner ]; then setup_python lessons; else setup_python lessons,instructor; fi
    # An optional folder to write to: bash run.sh static public/
    exec "$VENV/bin/python" scripts/lessons.py "$command" ${1:+--out "$1"}
    ;;
  *)
    # The comment block at the top of this file, without its '# ' (and nothing after it).
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
    [ "$command" = help ] || exit 2
    ;;
esac
