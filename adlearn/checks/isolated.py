"""Grading out of the learner's reach: every graded check, run again in a fresh process.

In class a check runs in the learner's kernel, which is fast and friendly, and which the
learner's own cells can change at will (patch the runner, rebind a check, switch grading
off). For a grade, `grade_cells` starts a fresh Python (``python -I``: no PYTHONPATH, no
user site-packages) and hands it the notebook's code cells, as the grader holds
them (nbgrader's copy of the submission, not anything the kernel says). That process:

1. loads adlearn and every lesson's checks BEFORE any code of the learner runs, and checks
   that the check files are the ones installed when grading started (their hashes);
2. switches the forbidden functions off on the objects themselves: a function's code is
   replaced by a gate (for a class: its constructor, methods, property setters and its
   module's functions), so the gate is what a learner's call reaches however it got the
   object (an alias, a default argument, a submodule such as
   ``adlearn.derivatives.gradient``). The gate refuses while a check that forbids it runs
   and the call comes from code that was not loaded before the learner's. The originals
   are kept only by the audit hook (step 5), which hands one over for one allowed call:
   no closure, global or attribute leads to them;
3. takes a fingerprint of every adlearn module, class and function (names, code, defaults,
   closures, the contents of module-level tables) and of ``builtins``, ``math``,
   ``numbers``, ``random`` and the other modules checks use;
4. runs the cells in order (each cell and each check in a thread of its own). In a check cell,
   ``lessonNN.check_name(arguments)`` is not run as text: the check is the one loaded in
   step 1, only its arguments are the learner's (any other code in a test cell runs like a
   cell). Right before and right after it, the fingerprint is compared: a change is
   tampering, and the check scores 0 with a message that says what was changed;
5. while the learner's code runs, refuses what would let it reach the grader: frames
   (``sys._getframe``, a traceback's or a generator's frame; at any time, a kept
   traceback that leads to the runner), the garbage collector's lists of objects,
   tracing, ctypes, new processes, another audit hook, writing a function's code, making
   a function of a switched-off original's code;
6. sends each check's result as plain JSON (passed, done, message) on a channel the
   learner's output does not use, marked with a one-time token the parent gave it; the
   parent ignores any line without the token.

A determined programmer can still get through (INSTRUCTORS.md, "What grading guarantees"):
this makes every route found so far fail loudly, it does not make Python a sandbox. Run
grading in a container of its own.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import importlib
import json
import linecache
import os
import pkgutil
import secrets
import site
import subprocess
import sys
import tempfile
import threading
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent.parent  # the installed adlearn package
WATCHED = ("builtins", "math", "cmath", "numbers", "random", "operator", "functools",
           "itertools", "contextlib", "json", "types")
"""Modules besides adlearn whose names the fingerprint covers: what checks lean on."""


def installed_hashes() -> dict[str, str]:
    """sha256 of every .py file of the installed adlearn, by path inside the package."""
    return {
        str(path.relative_to(PACKAGE)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(PACKAGE.rglob("*.py"))
    }


INSTALLED = installed_hashes()
"""The hashes when grading started (when nbgrader loaded its configuration, which imports
this module): a learner's kernel that rewrites a check file later is caught."""


# --- the parent: hand the cells to a fresh process, read the results back --------------

CHILD = (
    "import sys; sys.path[:0] = [{folder!r}]; sys.path += {sites!r}; "
    "from adlearn.checks.isolated import main; sys.exit(main(['--child']))"
)
"""The fresh process: ``-I`` ignores PYTHONPATH and the user's site-packages, and ``-S``
runs no ``.pth`` file and no ``sitecustomize`` (which a submission could have written
into site-packages); the folder that holds this very adlearn comes first, however adlearn
was installed, then the parent's site-packages, as plain folders."""


def grade_cells(
    cells: Sequence[tuple[str, str]], cwd: str | os.PathLike[str] | None = None,
    timeout: float = 600.0,
) -> list[dict[str, Any]]:
    """Run a notebook's code cells in a fresh process; the result of each check cell.

    `cells` are (kind, source) pairs in notebook order, kind "code" or "check". Returns,
    for each check cell in order, a dict with "passed", "done" and "message".
    """
    token = secrets.token_hex(16)
    job = {"token": token, "cells": [list(c) for c in cells], "hashes": INSTALLED,
           "debug": os.environ.get("ADLEARN_GRADING_DEBUG") == "1"}
    environment = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"),
                   "ADLEARN_GRADING": "1", "MPLBACKEND": "Agg", "LANG": "C.UTF-8"}
    for name in ("MPLCONFIGDIR", "SYSTEMROOT", "TMPDIR"):
        if name in os.environ:
            environment[name] = os.environ[name]
    checks = [i for i, (kind, _) in enumerate(cells) if kind == "check"]
    job["cells"] = [[kind, python_source(source)] for kind, source in cells]
    # A fresh, empty bytecode folder: the child compiles every module from its source
    # (the files whose hashes it checks), never from a __pycache__ the kernel could write.
    bytecode = tempfile.TemporaryDirectory(prefix="adlearn-grading-pyc-")
    try:
        run = subprocess.run(
            [sys.executable, "-I", "-S", "-X", f"pycache_prefix={bytecode.name}", "-c",
             CHILD.format(folder=str(PACKAGE.parent), sites=site.getsitepackages())],
            input=json.dumps(job), capture_output=True, text=True, cwd=cwd,
            env=environment, timeout=timeout, check=False,
        )
        output, stopped = run.stdout, run.stderr.strip().splitlines()[-1:] or [""]
        if job["debug"]:
            sys.stderr.write(run.stderr)
        why = f"the grading process stopped early ({stopped[0][:300] or run.returncode})"
    except subprocess.TimeoutExpired as error:
        output = error.stdout.decode() if isinstance(error.stdout, bytes) else error.stdout or ""
        why = f"the notebook took longer than {timeout:g} s to grade"
    finally:
        bytecode.cleanup()
    results: dict[int, dict[str, Any]] = {}
    for line in output.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if (type(message) is dict and message.get("token") == token
                and message.get("cell") in checks and message["cell"] not in results):
            results[message["cell"]] = {
                "passed": message.get("passed") is True,
                "done": message.get("done") is not False,
                "message": str(message.get("message", "")),
            }
    missing = {"passed": False, "done": True, "message": f"Not graded: {why}."}
    return [results.get(i, missing) for i in checks]


def python_source(source: str) -> str:
    """A cell as plain Python: IPython's magics (%time, !pip) become calls of
    ``get_ipython()``, which the fresh process answers with `NoKernel`."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return str(TransformerManager().transform_cell(source))
    except Exception:  # noqa: BLE001 (left as it is: the cell then fails as it would)
        return source


class NoKernel:
    """What ``get_ipython()`` is in the fresh process: magics that time or capture code
    run that code (so its definitions exist); every other magic and shell command does
    nothing."""

    RUNS_ITS_CODE = ("time", "timeit", "capture", "prun")

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.user_ns = namespace

    def run_line_magic(self, name: str, line: str, *args: Any) -> None:
        # The code of a %time line is the learner's notebook code: grading a notebook
        # means running it, here as IPython would (only in the fresh grading process).
        if name in self.RUNS_ITS_CODE:
            exec(compile(line.lstrip("-qn0123456789 "), "<magic>", "exec"), self.user_ns)  # noqa: S102

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        if name in self.RUNS_ITS_CODE:  # the learner's cell under %%time: run it, as above
            exec(compile(python_source(cell), "<magic>", "exec"), self.user_ns)  # noqa: S102

    def system(self, *args: Any, **kwargs: Any) -> None:
        return None

    getoutput = system


def grade_notebook(path: str | os.PathLike[str]) -> list[tuple[str, dict[str, Any]]]:
    """Grade a notebook file: the (source, result) of each check cell, in order.

    A check cell is a code cell tagged ``check`` (the lessons) or marked as an nbgrader
    test (the course's cells).
    """
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    cells = [(cell_kind(cell), cell.source) for cell in notebook.cells
             if cell.cell_type == "code"]
    results = grade_cells(cells, cwd=Path(path).resolve().parent)
    return list(zip([s for k, s in cells if k == "check"], results))


def cell_kind(cell: Any) -> str:
    """'check' for a graded test cell (nbgrader) or one tagged check, else 'code'."""
    marks = cell.get("metadata", {}).get("nbgrader", {})
    if marks:
        return "check" if marks.get("grade") and not marks.get("solution") else "code"
    return "check" if "check" in cell.get("metadata", {}).get("tags", []) else "code"


# --- the child: everything below runs in the fresh process ----------------------------


class GradingRefused(ValueError):
    """What the learner's code gets when it reaches for the grader's own machinery."""


def _import_everything() -> dict[str, types.ModuleType]:
    """Import adlearn and every one of its modules (checks and references included)."""
    import adlearn

    for info in pkgutil.walk_packages(adlearn.__path__, "adlearn."):
        importlib.import_module(info.name)
    return {name: module for name, module in sys.modules.items()
            if name == "adlearn" or name.startswith("adlearn.")}


def _changed_files(modules: dict[str, types.ModuleType], expected: dict[str, str]) -> list[str]:
    """Check files that differ from the installed ones (when grading started)."""
    changed = []
    for module in modules.values():
        file = getattr(module, "__file__", None)
        if not file:
            continue
        relative = str(Path(file).resolve().relative_to(PACKAGE))
        digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()
        if expected and expected.get(relative) != digest:
            changed.append(relative)
    return sorted(changed)


def _functions_of(modules: Iterable[types.ModuleType]) -> list[Any]:
    """Every function defined in these modules, and in their classes (methods too)."""
    found: dict[int, Any] = {}

    def add(value: Any) -> None:
        if type(value) is staticmethod or type(value) is classmethod:
            value = value.__func__
        if type(value) is types.FunctionType and id(value) not in found:
            for cell in value.__closure__ or ():  # a check's body, inside its wrapper
                if _filled(cell) and type(cell.cell_contents) is types.FunctionType:
                    add(cell.cell_contents)
        if type(value) is property:
            for part in (value.fget, value.fset, value.fdel):
                if part is not None:
                    add(part)
            return
        if type(value) is types.FunctionType:
            found.setdefault(id(value), value)

    def inside(value: Any, depth: int) -> None:
        """Functions kept in tables: a rule's functions in adlearn.RULES, say."""
        if depth == 0:
            return
        if type(value) is dict:
            items: Iterable[Any] = list(value.values())
        elif type(value) in (list, tuple):
            items = list(value)
        elif _plain_record(value):
            items = list(vars(value).values())
        else:
            return
        for item in items:
            add(item)
            inside(item, depth - 1)

    for module in modules:
        for value in list(vars(module).values()):
            add(value)
            inside(value, 3)
            if _adlearn_class(value):
                for attribute in list(_class_names(value).values()):
                    add(attribute)
    return list(found.values())


def _codes(functions: Iterable[Any]) -> list[types.CodeType]:
    """The code objects of these functions and every code nested in them (lambdas)."""
    out: list[types.CodeType] = []
    stack = [f.__code__ for f in functions]
    seen: set[int] = set()
    while stack:
        code = stack.pop()
        if id(code) in seen:
            continue
        seen.add(id(code))
        out.append(code)
        stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return out


HELPERS = -1  # what the gates of the checks' own functions answer to: every check


def _gate_body(*args: Any, _adlearn_audit: Any = None, **kwargs: Any) -> Any:
    """The code every switched-off function runs in the grading process.

    ``_adlearn_audit`` is ``sys.audit`` (each switched-off function's keyword default,
    which only the grader can set). The audit hook looks at who called the function:
    it refuses, or it puts the function's original into `box`, which is emptied before
    the original runs. So the original is kept nowhere a learner can read it: not in a
    closure, a global, a default or a wrapper's attribute, only in the hook's own state.
    """
    box: list[Any] = []
    _adlearn_audit("adlearn.gate", box)
    return box.pop()(*args, **kwargs)


def _gate_body_with_cells() -> types.CodeType:
    """`_gate_body` as the code of a closure: it begins by copying its function's cells."""
    cell = None

    def gate(*args: Any, _adlearn_audit: Any = None, **kwargs: Any) -> Any:
        if False:  # never runs; it makes `cell` a free variable  # noqa: SIM108
            return cell
        box: list[Any] = []
        _adlearn_audit("adlearn.gate", box)
        return box.pop()(*args, **kwargs)

    return gate.__code__


COPY_FREE_VARS = getattr(__import__("dis"), "opmap", {}).get("COPY_FREE_VARS")


def _gated_code(function: types.FunctionType, shown: str) -> types.CodeType:
    """The code that replaces a switched-off function's own: `_gate_body`'s, with the
    function's free variables (Python replaces a closure's code only by code with as many).

    From Python 3.11 a closure's code begins by copying its cells into its frame; without
    that, reading the frame's locals (a traceback's, a debugger's) crashes Python. So a
    closure's gate starts with that step too, for as many cells as the function has.
    """
    original = function.__code__
    count = len(original.co_freevars)
    code = _gate_body.__code__
    if count and COPY_FREE_VARS is not None:
        code = _gate_body_with_cells()
        raw = bytearray(code.co_code)
        if raw[0] != COPY_FREE_VARS or raw[1] != 1 or count > 255:
            raise RuntimeError("the grader cannot switch this function off on this Python")
        raw[1] = count
        code = code.replace(co_code=bytes(raw))
    return code.replace(co_freevars=original.co_freevars, co_name=original.co_name,
                        co_filename=f"<adlearn: {shown} switched off>")


OWN_DUNDERS = ("__init__", "__new__", "__call__")
"""The dunder methods of a forbidden class that are switched off with it (see
`Vault.switch_class`)."""


class Vault:
    """The originals of the switched-off functions, and what each one answers to.

    The runner makes it before any code of the learner's runs and hands it to the audit
    hook; after that only the hook's closure holds it (`_install_audit_hook`).
    """

    def __init__(self) -> None:
        # id(gate code) -> (gate code, original function, thing id, shown, globals)
        self.gates: dict[int, tuple[types.CodeType, Any, int, str, dict[str, Any]]] = {}
        self.switched: dict[int, Any] = {}  # id(function) -> the switched-off function
        self.codes: dict[int, types.CodeType] = {}  # the originals' and the gates' code
        self.bytecode: set[bytes] = set()  # the originals' bytecode

    def install(self, forbidden: Iterable[Any]) -> None:
        seen: set[int] = set()
        for thing in forbidden:
            if id(thing) in seen:
                continue
            seen.add(id(thing))
            if isinstance(thing, type):
                self.switch_class(thing, id(thing))
            elif isinstance(thing, types.FunctionType):
                self.switch_function(thing, id(thing))
            elif isinstance(thing, dict):  # a table, such as adlearn.RULES
                for row in list(thing.values()):
                    self.switch_row(row, id(thing))
            else:  # one row of a table
                self.switch_row(thing, id(thing))

    def switch_row(self, row: Any, thing_id: int) -> None:
        """A row's functions (value, partials) refuse the learner's calls."""
        if hasattr(row, "__dict__"):
            parts = list(vars(row).values())
        else:
            names: Any = getattr(row, "_fields", None) or getattr(row, "__slots__", ())
            parts = [getattr(row, name, None) for name in names]
        for part in parts:
            if isinstance(part, types.FunctionType):
                self.switch_function(part, thing_id, "adlearn's rule table")

    def switch_class(self, cls: type, thing_id: int) -> None:
        """The class's constructor and its own methods and properties, and the functions
        of its module (the engine's sweep, say): an object of it, however it was made
        (``object.__new__`` and its slots set by hand), cannot do the exercise's work
        for the learner's code while a check that forbids it runs.

        Its operators stay open (``__mul__`` and the other dunders but ``__init__``): a
        check may hand the learner's code objects of the class it made itself (02.6 runs
        the learner's function on adlearn's Dual as its reference), and adlearn's own
        operators make their results with ``object.__new__`` too, so a grader cannot
        tell such an object from one the learner made.
        """
        for name, value in list(_class_names(cls).items()):
            if name.startswith("__") and name.endswith("__") and name not in OWN_DUNDERS:
                continue
            shown = f"{cls.__name__}()" if name == "__init__" else f"{cls.__name__}.{name}"
            parts = [value]
            if type(value) is staticmethod or type(value) is classmethod:
                parts = [value.__func__]
            elif type(value) is property:  # reading stays open: it does no work
                parts = [value.fset, value.fdel]
            for part in parts:
                if type(part) is types.FunctionType:
                    self.switch_function(part, thing_id, shown)
        module_name = _class_module(cls)
        module = sys.modules.get(module_name)
        for value in list(vars(module).values()) if module is not None else ():
            if type(value) is types.FunctionType and value.__module__ == module_name:
                self.switch_function(value, thing_id, f"{module_name}.{value.__name__}()")

    def switch_function(self, function: Any, thing_id: int, shown: str = "") -> None:
        if id(function) in self.switched:
            return
        shown = shown or f"{function.__name__}()"
        original = types.FunctionType(function.__code__, function.__globals__,
                                      function.__name__, function.__defaults__,
                                      function.__closure__)
        original.__kwdefaults__ = function.__kwdefaults__
        original.__qualname__ = function.__qualname__
        gate = _gated_code(function, shown)
        self.gates[id(gate)] = (gate, original, thing_id, shown, function.__globals__)
        self.switched[id(function)] = function
        self.codes[id(gate)] = gate
        self.codes[id(function.__code__)] = function.__code__
        self.bytecode.add(function.__code__.co_code)
        function.__code__ = gate
        function.__defaults__ = None
        function.__kwdefaults__ = {"_adlearn_audit": sys.audit}


def _fingerprint(modules: dict[str, types.ModuleType]) -> dict[str, tuple[str, Any]]:
    """What must not change while the learner's code runs: names, code, tables.

    Each entry holds the objects themselves (not their ids, which a freed object gives
    back), and is compared by identity: nothing of the learner's is asked for equality.
    """
    prints: dict[str, tuple[str, Any]] = {}
    for name, module in modules.items():
        names = dict(vars(module))
        prints[f"module {name}"] = ("names", names)
        if not name.startswith("adlearn"):
            continue
        for key, value in names.items():
            if type(value) is dict:
                prints[f"{name}.{key}"] = ("entries", dict(value))
            elif type(value) is list:
                prints[f"{name}.{key}"] = ("prefix", list(value))
            elif _adlearn_class(value):
                prints[f"class {_class_module(value)}.{value.__qualname__}"] = (
                    "names", _class_names(value))
    core = modules.get("adlearn.core")
    for rule, row in list(getattr(core, "RULES", {}).items()):
        if not _plain_record(row):
            continue  # a learner's own object: `_differences` refuses it as it is added
        fields = {k: v for k, v in vars(row).items() if k != "fast"}
        prints[f"adlearn.RULES[{rule!r}]"] = ("fields", fields)
    for function in _functions_of(m for n, m in modules.items() if n.startswith("adlearn")):
        fields = {"the function": function, "__code__": function.__code__,
                  "__defaults__": function.__defaults__,
                  "__kwdefaults__": function.__kwdefaults__}
        for i, cell in enumerate(function.__closure__ or ()):
            fields[f"closure variable {i}"] = cell.cell_contents if _filled(cell) else None
        what = f"function {function.__module__}.{function.__qualname__}"
        while what in prints:
            what += "'"
        prints[what] = ("fields", fields)
    return prints


def _class_module(cls: type) -> Any:
    """A class's module name, read without its metaclass's help."""
    return type.__dict__["__module__"].__get__(cls, type)


def _class_names(cls: type) -> dict[str, Any]:
    """A copy of a class's own namespace, read without its metaclass's help."""
    return dict(type.__dict__["__dict__"].__get__(cls, type))


def _adlearn_class(value: Any) -> bool:
    """Whether `value` is a class of adlearn's, asked of `type()` only (never of the object,
    whose ``__class__`` or metaclass may be a learner's code)."""
    if not issubclass(type(value), type):
        return False
    module = _class_module(value)
    return type(module) is str and (module == "adlearn" or module.startswith("adlearn."))


PLAIN = (types.FunctionType, types.ModuleType, types.BuiltinFunctionType, int, float,
         complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset)
"""What a learner may add to an adlearn module: plain data, functions, modules, classes."""


def _plain(value: Any) -> bool:
    kind = type(value)
    return kind is type or any(kind is plain for plain in PLAIN)


def _plain_record(value: Any) -> bool:
    """An instance of an adlearn dataclass (a rule's row) that runs nobody's code when its
    fields are read: no metaclass, no ``__getattribute__``, ``__getattr__`` or own
    ``__dict__`` property anywhere in its class's order."""
    cls = type(value)
    if type(cls) is not type or not _adlearn_class(cls):
        return False
    if "__dataclass_fields__" not in _class_names(cls):
        return False
    for base in type.__dict__["__mro__"].__get__(cls, type):
        names = _class_names(base)
        if base is not object and ("__getattribute__" in names or "__getattr__" in names):
            return False
        if type(names.get("__dict__")) not in (types.GetSetDescriptorType, type(None)):
            return False
    return True


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What changed between two fingerprints. Names added to a module or a class are
    allowed (an import, a rule added by define_primitive), unless they hide a builtin
    or land in a check module; entries added to a table are allowed too."""
    shadowable = set(vars(builtins))
    changes = []
    for what, (kind, old) in before.items():
        if what not in after:
            changes.append(f"{what} is gone")
            continue
        new = after[what][1]
        if kind in ("names", "entries", "fields"):
            for key, value in old.items():
                if key not in new:
                    changes.append(f"{what}: {key} was deleted")
                elif new[key] is not value and not _volatile(what, key, value, new[key]):
                    changes.append(f"{what}: {key} was replaced")
            if kind == "names":
                for key in new.keys() - old.keys():
                    if key in shadowable and what != "module builtins":
                        changes.append(f"{what}: {key} was added, hiding the builtin")
                    elif what.startswith("module adlearn.checks"):
                        changes.append(f"{what}: {key} was added")
                    elif what.startswith("module adlearn") and not _plain(new[key]):
                        changes.append(f"{what}: {key} was added, an object of a class of "
                                       "your own, which grading does not let into adlearn")
        elif len(new) < len(old) or any(a is not b for a, b in zip(old, new)):
            changes.append(f"{what} was changed")
    return changes


def _volatile(what: str, key: str, old: Any, new: Any) -> bool:
    """Names that Python or adlearn itself rebinds as it runs: the interactive `_`, and
    the engines' change counters (``CHANGES``, which only ever grow)."""
    if what == "module builtins" and key == "_":
        return True
    return (what in ("module adlearn.variable", "module adlearn.tensor") and key == "CHANGES"
            and type(old) is int and type(new) is int and new >= old)


BLOCKED = {
    "sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects",
    "gc.get_referrers", "gc.get_referents", "os.kill", "os.killpg", "sys.addaudithook",
}
"""Refused to the learner's code always: what reaches the runner's frames and objects
(the learner's cells run in a thread of their own, so their frames lead only there)."""
BLOCKED_IN_CHECKS = {
    "sys._getframe", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
    "os.spawn", "os.fork", "os.forkpty", "pty.spawn",
}
"""Refused while a check runs, with every ctypes event and a frame's attributes: a
lesson's own cells may import libraries that look at frames, draw with graphviz's dot,
or load PyTorch, which need them. (Outside checks, ctypes may only load a library: every
other ctypes event is refused at all times.)"""
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
COPYING = {"function.__new__", "exec", "code.__new__", "marshal.loads"}
"""Events that could make a new function of a switched-off function's original code
(taken from a running frame's ``f_code``): refused for those codes, always."""


def _no_signal_handlers() -> None:
    """A signal handler runs on the main thread, the runner's, and receives its frame:
    from now on no code may install one (Python raises no audit event for it, so the
    functions themselves are replaced, in `signal` and in the built-in `_signal`; an
    import that would make them again is refused by the audit hook)."""
    import signal

    _signal = importlib.import_module("_signal")  # the built-in module under signal

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise GradingRefused("installing a signal handler is not allowed while a notebook "
                             "is graded.")

    for module in (signal, _signal):
        vars(module)["signal"] = refuse


def _install_audit_hook(vault: Vault, trusted: frozenset[int], state: list[Any],
                        phase: list[str], runner: Iterable[types.CodeType]) -> None:
    """From now on, the learner's code may not reach the grader's frames or objects.

    `phase` holds "runner" while the runner itself works (on the main thread), "cell"
    while a cell runs and "check" while a check runs; `state` holds what the running
    check switches off (ids) and why. Audit hooks cannot be removed or listed, so the
    vault of originals and `state` live on only here, out of the learner's reach. The
    hook trusts no flag a learner could set: code is recognised by its code object.
    """
    from .exercise import ShortcutUsed

    busy: set[int] = set()  # threads in the hook's own look at frames (below)
    get_ident, getframe, realpath, fsdecode = (threading.get_ident, sys._getframe,
                                               os.path.realpath, os.fsdecode)
    gates, switched, codes, bytecode = vault.gates, vault.switched, vault.codes, vault.bytecode
    runner_codes = frozenset(id(code) for code in runner)
    kept_codes = tuple(runner)  # so that those ids stay theirs
    runner_code, run_check = _grade_in_child.__code__, _run_check.__code__
    thread_run = threading.Thread.run.__code__

    def leads_to_the_runner(traceback: Any) -> bool:
        """Whether a traceback's frame, or a frame that called it, is the runner's: an
        exception a check raised and the learner kept, read in a later cell."""
        busy.add(me := get_ident())
        try:
            frame = traceback.tb_frame
            while frame is not None:
                if id(frame.f_code) in runner_codes and frame.f_code in kept_codes:
                    return True
                frame = frame.f_back
            return False
        finally:
            busy.discard(me)

    def who(depth: int) -> tuple[Any, Any]:
        """The frame `depth` levels up from this one, and the code of its caller."""
        busy.add(me := get_ident())
        try:
            frame = getframe(depth)
            back = frame.f_back
            return frame, (back.f_code if back is not None else None)
        finally:
            busy.discard(me)

    def gate(args: tuple[Any, ...]) -> None:
        """A switched-off function asks for its original (see `_gate_body`)."""
        frame, caller = who(3)  # who, gate, hook, then the switched-off function
        code = frame.f_code
        entry = gates.get(id(code))
        box = args[0] if len(args) == 1 else None
        if (entry is None or entry[0] is not code or frame.f_globals is not entry[4]
                or type(box) is not list or box):
            raise GradingRefused("only a switched-off function itself may ask for its "
                                 "original while a notebook is graded.")
        if entry[2] in state[0] and id(caller) not in trusted:
            where = (f"{caller.co_name} in {caller.co_filename}" if caller is not None
                     else "Python itself")
            raise ShortcutUsed(
                f"This exercise asks you to do the work yourself, so {entry[3]} is "
                f"switched off while it is checked, however your code reached it (it was "
                f"called by {where}). {state[1]}".strip())
        box.append(entry[1])

    def outcome(args: tuple[Any, ...]) -> None:
        """A check's outcome, from `_run_check` on the check's own thread, once."""
        frame, caller = who(3)  # who, outcome, hook, then _run_check
        value = args[0] if len(args) == 1 else None
        if (frame.f_code is not run_check or caller is not thread_run
                or get_ident() != state[2] or state[3] is not None
                or type(value) is not tuple or len(value) != 3
                or [type(v) for v in value] != [bool, bool, str]):
            raise GradingRefused("only the grader reports a check's outcome.")
        state[3] = value

    def collect(args: tuple[Any, ...]) -> None:
        """The runner takes the outcome of the check that just ran."""
        frame, _ = who(3)
        box = args[0] if len(args) == 1 else None
        if frame.f_code is not runner_code or type(box) is not list or box:
            raise GradingRefused("only the grader takes a check's outcome.")
        if state[3] is not None:
            box.append(state[3])
        state[3] = None

    def copies(event: str, args: tuple[Any, ...]) -> bool:
        """Whether the event would make a function of an original's (or a gate's) code."""
        if event in ("function.__new__", "exec"):
            return bool(args) and id(args[0]) in codes and codes[id(args[0])] is args[0]
        if event == "code.__new__":
            return bool(args) and type(args[0]) is bytes and args[0] in bytecode
        if event == "marshal.loads":
            data = args[0] if args and type(args[0]) is bytes else b""
            return any(len(b) > 8 and b in data for b in bytecode)
        return False

    def hook(event: str, args: tuple[Any, ...]) -> None:
        me = get_ident()
        if me in busy:
            return
        if event == "adlearn.gate":
            gate(args)
            return
        if event == "adlearn.outcome":
            outcome(args)
            return
        if event == "adlearn.outcome?":
            collect(args)
            return
        if event in COPYING and copies(event, args):
            raise GradingRefused(f"{event} of a switched-off function's code is not "
                                 "allowed while a notebook is graded.")
        # The runner's own phase is as strict as a check: if anything of the learner's
        # runs while the runner works (a property, say), it reaches no frame either.
        checking = phase[0] in ("check", "runner")
        frames = event == "sys._getframe" or (
            event == "object.__getattr__" and args[1] in FRAME_ATTRIBUTES)
        if checking and frames and id(who(2)[0].f_code) in trusted:  # who, hook, asker
            return  # adlearn's own code (define_primitive reads its caller's names)
        if event == "import" and args[0] in ("signal", "_signal"):
            raise GradingRefused("importing signal again is not allowed while a notebook "
                                 "is graded.")
        if event in BLOCKED or (checking and (
                event in BLOCKED_IN_CHECKS or event.startswith("ctypes."))):
            raise GradingRefused(f"{event} is not allowed while a notebook is graded.")
        if event.startswith("ctypes.") and event != "ctypes.dlopen":
            # ctypes reaches any object by its address (the runner's frames too), in any
            # cell; loading a library (import torch) is all a lesson needs of it
            raise GradingRefused(f"{event} is not allowed while a notebook is graded.")
        if checking and frames:
            raise GradingRefused("looking at frames is not allowed while a check runs.")
        if (event == "object.__getattr__" and args[1] == "tb_frame"
                and leads_to_the_runner(args[0])):
            raise GradingRefused("a traceback that leads to the grader's own frames is not "
                                 "open to a notebook being graded.")
        if event == "object.__setattr__" and (args[1] == "__code__" or (
                args[1] in ("__defaults__", "__kwdefaults__") and id(args[0]) in switched)):
            if checking and id(args[0]) not in switched and id(who(2)[0].f_code) in trusted:
                return  # a check watching a function of the notebook (09.4's flight_distance)
            raise GradingRefused(f"setting {args[1]} is not allowed while a notebook is "
                                 "graded.")
        if event == "open" and type(args[0]) in (str, bytes):
            busy.add(me)
            try:  # the real path: //proc, /./proc, a symbolic link or a relative path
                where = realpath(fsdecode(args[0]))
            finally:
                busy.discard(me)
            if where == "/proc" or where.startswith("/proc/"):
                raise GradingRefused("/proc is not open to a notebook being graded.")

    sys.addaudithook(hook)


def _remember(index: int, source: str) -> str:
    """A cell's file name, with its source where `inspect.getsource` looks, as in IPython."""
    name = f"<cell {index}>"
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    return name


def _run_cell(code: types.CodeType, namespace: dict[str, Any], failures: list[str]) -> None:
    """Run one cell (in its own thread: its frames lead nowhere near the runner's)."""
    try:
        # The learner's own cell, as nbgrader holds it: grading a notebook means running
        # its code, which is why this happens in a fresh process of its own (and, as
        # INSTRUCTORS.md says, best in a container), never in the grader's.
        exec(code, namespace)  # noqa: S102
    except BaseException as error:  # noqa: BLE001 (a failing cell fails its check later)
        failures.append(f"{type(error).__name__}: {error}")


def _run_check(run_body: Any, statement: tuple[Any, Any, list[Any], list[Any]],
               namespace: dict[str, Any], go: threading.Event) -> None:
    """One check, in a thread of its own, like a cell: its frames lead to none of the
    runner's (which holds the token, the channel and what is switched off), even for a
    frame the learner kept from a cell (a generator's) and walks up from during it.

    The outcome goes to the audit hook, which takes it only from this code, called by the
    thread's own start, on the thread the runner started for this check (so nothing the
    learner can reach from here, a list say, could be filled with a verdict of its own).
    """
    go.wait()
    entry, body, arg_nodes, keyword_nodes = statement
    outcome: tuple[bool, bool, str]
    try:
        # The check's arguments, as the test cell writes them (the names of the
        # learner's answers): evaluated in the learner's namespace.
        args = [eval(a, namespace) for a in arg_nodes]  # noqa: S307
        kwargs = {k: eval(v, namespace) for k, v in keyword_nodes}  # noqa: S307
        result = run_body(entry, body, args, kwargs)
        outcome = (result.passed is True, result.done is not False, str(result.message))
    except BaseException as error:  # noqa: BLE001 (anything the learner throws)
        outcome = (False, True, f"The check could not finish: {type(error).__name__}.")
    sys.audit("adlearn.outcome", outcome)


def _check_statements(
    source: str, index: int, checks: dict[tuple[str, str], Any]
) -> list[tuple[str, Any]]:
    """A test cell, statement by statement: ("check", (exercise, body, args, keywords))
    for each ``lessonNN.check_name(...)`` the grader loaded (only its arguments are the
    learner's), ("code", compiled) for anything else (an instructor's own tests)."""
    name = _remember(index, source)
    statements: list[tuple[str, Any]] = []
    for statement in ast.parse(source).body:
        call = statement.value if isinstance(statement, ast.Expr) else None
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and (call.func.value.id, call.func.attr) in checks):
            entry, body = checks[(call.func.value.id, call.func.attr)]
            args = [compile(ast.Expression(a), name, "eval") for a in call.args]
            keywords = [(k.arg, compile(ast.Expression(k.value), name, "eval"))
                        for k in call.keywords if k.arg]
            statements.append(("check", (entry, body, args, keywords)))
        else:
            module = ast.Module(body=[statement], type_ignores=[])
            statements.append(("code", compile(module, name, "exec")))
    return statements


def _child() -> None:
    """The fresh process: read the job, load the checks, then the learner's cells."""
    errors = os.dup(2)
    try:
        _grade_in_child()
    except BaseException:  # the grader's own failure: say so on stderr
        import traceback

        os.write(errors, traceback.format_exc().encode())
        os._exit(1)


def _grade_in_child() -> None:
    """Load the checks, then run the learner's cells and report each check."""
    job = json.loads(sys.stdin.read())
    token, cells, hashes = job["token"], job["cells"], job["hashes"]
    debug = job.get("debug", False)  # the failures of ordinary cells on stderr
    errors = os.dup(2)
    channel = os.dup(1)  # the results go here; the learner's output goes nowhere
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    write, dumps = os.write, json.dumps

    def report(cell: int, passed: bool, done: bool, message: str) -> None:
        line = dumps({"token": token, "cell": cell, "passed": passed is True,
                      "done": done is not False, "message": str(message)})
        write(channel, (line + "\n").encode())

    modules = _import_everything()
    for name in ("numpy",):  # what checks import when they run: loaded before the learner
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    runner_module = modules["adlearn.checks.exercise"]

    changed = _changed_files(modules, hashes)
    checks = {}  # (module, name) -> (Exercise, body), loaded before the learner's code
    for name, module in modules.items():
        if name.startswith("adlearn.checks.lesson"):
            for attribute, value in vars(module).items():
                if attribute.startswith("check_") and hasattr(value, "exercise"):
                    checks[(name.rsplit(".", 1)[1], attribute)] = (value.exercise,
                                                                   value.body)
    forbids = {key: (tuple(ex.forbid), ex.why) for key, ex in runner_module.EXERCISES.items()}
    helpers = [  # the checks' own references and helpers: no part of an answer
        value for name, module in modules.items() if name.startswith("adlearn.checks.lesson")
        for value in vars(module).values()
        if isinstance(value, types.FunctionType) and value.__module__ == name
    ]
    run_body = runner_module._run
    trusted_codes = _codes(_functions_of(modules.values()))  # their ids stay theirs
    trusted = frozenset(id(c) for c in trusted_codes)
    vault = Vault()
    vault.install(thing for forbid, _ in forbids.values() for thing in forbid)
    for helper in helpers:
        vault.switch_function(helper, HELPERS, f"{helper.__module__}.{helper.__name__}(), "
                              "a part of the check itself,")
    watched: dict[str, Any] = dict(modules)
    watched.update({name: sys.modules[name] for name in WATCHED if name in sys.modules})
    watched["sys (its modules)"] = types.SimpleNamespace(
        **{k: v for k, v in sys.modules.items() if k.startswith("adlearn")})
    before = _fingerprint(watched)

    def now() -> dict[str, Any]:
        watched["sys (its modules)"] = types.SimpleNamespace(
            **{k: v for k, v in sys.modules.items() if k.startswith("adlearn")})
        return _fingerprint(watched)

    def compare() -> list[str]:
        """The fingerprint now against `before`, in a thread of its own: a learner's key
        in an adlearn module (its ``__hash__``) runs there, and its frames lead to none of
        the runner's, even from a frame it kept from a cell."""
        found: list[list[str]] = []
        worker = threading.Thread(target=lambda: found.append(_differences(before, now())),
                                  daemon=True)
        worker.start()
        worker.join()
        return found[0] if found else ["the grader could not compare the fingerprint"]

    phase = ["runner"]
    # what the running check switches off, why, its thread, and its outcome
    state: list[Any] = [frozenset(), "", None, None]
    _no_signal_handlers()
    _install_audit_hook(vault, trusted, state, phase,
                        (_grade_in_child.__code__, _child.__code__))
    del vault  # from now on only the audit hook holds the originals
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    namespace = vars(main)
    namespace["__builtins__"] = builtins
    try:
        from IPython.display import display

        namespace["display"] = display
    except ImportError:
        pass
    kernel = NoKernel(namespace)
    namespace["get_ipython"] = lambda: kernel
    tampered: list[str] = []
    if changed:
        tampered.append("these installed files changed after grading started (by the "
                        "learner's code, or by the grader updating adlearn during the run: "
                        "then grade again): " + ", ".join(changed))

    for index, (kind, source) in enumerate(cells):
        if kind != "check":
            failures: list[str] = []
            try:
                code = compile(source, _remember(index, source), "exec")
            except SyntaxError as error:
                failures.append(f"SyntaxError: {error}")
            else:
                worker = threading.Thread(target=_run_cell, args=(code, namespace, failures),
                                          daemon=True)
                phase[0] = "cell"
                try:
                    worker.start()
                    worker.join()
                finally:
                    phase[0] = "runner"
            if debug and failures:
                os.write(errors, f"cell {index}: {failures[0]}\n".encode())
            continue
        try:
            statements = _check_statements(source, index, checks)
        except SyntaxError as error:
            report(index, False, True, f"✗ This test cell does not parse: {error}.")
            continue
        tampered += compare()
        if tampered:
            report(index, False, True, "Tampering detected, so this check scores 0: "
                   + "; ".join(sorted(set(tampered))[:5]) + ".")
            continue
        verdicts: list[tuple[bool, bool, str]] = []
        for kind, item in statements:
            if kind == "code":  # an instructor's own test code: it runs as the cells do
                failures = []
                worker = threading.Thread(target=_run_cell, args=(item, namespace, failures),
                                          daemon=True)
                phase[0] = "cell"
                try:
                    worker.start()
                    worker.join()
                finally:
                    phase[0] = "runner"
                verdicts.append((not failures, True, f"the test cell's own code raised "
                                 f"{failures[0]}" if failures else "the test cell's own code "
                                 "ran without an error"))
            else:
                forbid, why = forbids.get(item[0].key, ((), ""))
                phase[0] = "check"
                state[:] = [frozenset({id(t) for t in forbid} | {HELPERS}), why, None, None]
                go = threading.Event()
                worker = threading.Thread(target=_run_check, daemon=True, args=(
                    run_body, item, namespace, go))
                try:
                    worker.start()
                    state[2] = worker.ident  # the only thread whose outcome counts
                    go.set()
                    worker.join()
                finally:
                    state[:3] = [frozenset(), "", None]  # the outcome stays, to be taken
                    phase[0] = "runner"
                box: list[Any] = []
                sys.audit("adlearn.outcome?", box)
                outcome = box[0] if box else (False, True, "The check could not finish.")
                if not outcome[1]:
                    outcome = (False, False, outcome[2] + " (graded: an exercise not done "
                               "scores 0)")
                verdicts.append(outcome)
            if not verdicts[-1][0]:
                break
        changes = compare()
        if changes:
            tampered += changes
            report(index, False, True, "Tampering detected while this check ran, so it "
                   "scores 0: " + "; ".join(sorted(set(changes))[:5]) + ".")
            continue
        passed = bool(verdicts) and all(v[0] for v in verdicts)
        done = all(v[1] for v in verdicts)
        message = "; ".join(v[2] for v in verdicts) or "the test cell is empty"
        report(index, passed, done, f"{'✓' if passed else '✗'} {message}")
    os._exit(0)  # no clean-up code of the learner's runs after the results


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m adlearn.checks.isolated NOTEBOOK ...``: grade notebooks, print scores."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == ["--child"]:
        _child()
        return 0
    if not arguments:
        print(__doc__)
        return 2
    failed = 0
    for path in arguments:
        results = grade_notebook(path)
        passed = sum(r["passed"] for _, r in results)
        print(f"{path}: {passed} of {len(results)} checks pass")
        for source, result in results:
            print(f"  {source.strip()}\n    {result['message']}")
        failed += passed < len(results)
    return 1 if failed else 0


if __name__ == "__main__":
    # Run as the imported module, so that its functions are the ones in sys.modules.
    from adlearn.checks.isolated import main as imported_main

    sys.exit(imported_main())
