"""References to code as they were at a git ref: the base side of ``gate --against``.

A schema file at a ref is one ``git show`` away. A reference to code
(``go:PATH:Type``, ``py:module:Name``) is a derivation over several files: a
Go package and the packages of its module it imports, a Python module and
whatever it imports from its roots. `derive_at_ref` writes those files, as
they are at the ref, into a private temporary directory laid out like the
repository, derives there in a fresh interpreter
(:func:`cdccheck.refs.fresh.derive_elsewhere`, so neither side's imported
modules can serve the other) and removes the directory.

What is taken from the ref (docs/gate.md, "Comparing against a git ref"):

* ``go:``: the ``go.mod`` above the package and every ``.go`` file of its
  module (same-module imports are parsed too), or without a ``go.mod`` the
  package directory's ``.go`` files;
* ``py:``: for each import root inside the repository (``--python-path``,
  the configuration's ``python-path``, ``PYTHONPATH`` and the current
  directory), every ``.py`` file under it and every file of the module's
  top-level package (data it reads at import). Roots outside the
  repository are not versioned: both sides import from them as they are.

Files are read with ``git ls-tree`` and ``git cat-file --batch``, written
only under the temporary directory (no absolute names, no ``..``), regular
files only: symbolic links and submodules at the ref are left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from cdccheck.errors import ConfigError
from cdccheck.refs import GO_PREFIX, Derived, parse_go, parse_py
from cdccheck.refs.fresh import derive_elsewhere

__all__ = ["derive_at_ref", "label_at_ref", "run_git"]

_REGULAR_FILES = ("100644", "100755")


def run_git(
    directory: Path, *args: str, feed: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``directory``; ConfigError when git is not installed."""
    try:
        return subprocess.run(
            ["git", *args], cwd=directory, input=feed, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise ConfigError("--against needs git on PATH") from None


def label_at_ref(reference: str, ref: str) -> str:
    """How outputs name a reference's base side: ``go:svc/events:Event@origin/main``.

    Like Go's ``module@version``; a ``py:`` reference's options stay last
    (``py:consumers.events:CommentEvent@main?unknown=forbid``), so the name
    before them still ends in the type's.
    """
    body, mark, options = reference.partition("?")
    return f"{body}@{ref}{mark}{options}"


@dataclass(frozen=True)
class _Repository:
    top: Path
    """The working tree's top directory (resolved)."""
    ref: str

    def relative(self, path: Path) -> str:
        """``path`` relative to the top, '' for the top itself; ConfigError outside."""
        try:
            relative = path.resolve().relative_to(self.top)
        except ValueError:
            raise ConfigError(
                f"--against {self.ref}: {path} is outside the git repository at {self.top}"
            ) from None
        return "" if relative == Path() else relative.as_posix()

    def inside(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.top)

    def kind(self, name: str) -> str | None:
        """``blob``, ``tree`` (or another object type) of ``name`` at the ref; None if absent."""
        run = run_git(self.top, "cat-file", "-t", f"{self.ref}:{name}")
        return run.stdout.decode().strip() if run.returncode == 0 else None

    def files(self, *names: str) -> list[tuple[str, str]]:
        """(object id, path) of the regular files at or under ``names`` at the ref."""
        args = ["--literal-pathspecs", "ls-tree", "-r", "-z", "--full-tree", self.ref]
        if all(names):
            args += ["--", *names]  # an empty name is the whole tree: no pathspec
        run = run_git(self.top, *args)
        if run.returncode != 0:
            raise ConfigError(
                f"--against {self.ref}: git ls-tree failed: {_first_line(run.stderr)}"
            )
        found = []
        for record in run.stdout.decode("utf-8", "surrogateescape").split("\0"):
            meta, _, path = record.partition("\t")
            words = meta.split()
            if len(words) == 3 and words[0] in _REGULAR_FILES and words[1] == "blob":
                found.append((words[2], path))
        return found

    def write(self, files: Iterable[tuple[str, str]], into: Path) -> None:
        """Write ``files`` (object id, repository path) under ``into`` with their contents."""
        chosen = sorted(set(files), key=lambda item: item[1])
        if not chosen:
            return
        feed = "".join(f"{oid}\n" for oid, _ in chosen).encode()
        run = run_git(self.top, "cat-file", "--batch", feed=feed)
        if run.returncode != 0:
            raise ConfigError(
                f"--against {self.ref}: git cat-file failed: {_first_line(run.stderr)}"
            )
        output, offset = run.stdout, 0
        for oid, name in chosen:
            end = output.index(b"\n", offset)
            header = output[offset:end].split()
            if len(header) != 3 or header[0].decode() != oid or header[1] != b"blob":
                raise ConfigError(f"--against {self.ref}: git cat-file did not return {name}")
            size = int(header[2])
            content = output[end + 1 : end + 1 + size]
            offset = end + 1 + size + 1  # the content is followed by a newline
            target = _safe_target(into, name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def _safe_target(into: Path, name: str) -> Path:
    """Where ``name`` goes under ``into``; ConfigError for a name that would leave it."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or any(p in ("..", ".", "") for p in parts):
        raise ConfigError(f"refusing to write {name!r} from git: not a plain relative path")
    return into.joinpath(*parts)


def _first_line(raw: bytes) -> str:
    lines = raw.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else "no message"


def derive_at_ref(
    references: Sequence[str],
    *,
    ref: str,
    top: Path,
    python_path: Sequence[str | Path] = (),
) -> list[Derived]:
    """Each reference as derived from the files at ``ref`` (a commit the caller verified).

    Paths in the references and ``python_path`` are read as in the working
    tree: relative to the current directory, which lies inside ``top``. Each
    result is named by `label_at_ref`; its warnings and messages name files
    by their repository paths. Raises ConfigError (one line, naming the ref)
    for a Go package or file that does not exist at the ref, a module that
    does not import there, a type that is not there.
    """
    repository = _Repository(top.resolve(), ref)
    here = Path.cwd()
    roots = _import_roots(python_path, here)
    files: list[tuple[str, str]] = []
    rewritten: list[str] = []
    for reference in references:
        if reference.startswith(GO_PREFIX):
            rewritten.append(_go_files(repository, reference, here, files))
        else:
            _python_files(repository, reference, roots, files)
            rewritten.append(reference)
    with tempfile.TemporaryDirectory(prefix="cdccheck-against-") as scratch:
        tree = Path(scratch).resolve() / "tree"
        tree.mkdir()
        repository.write(files, tree)
        directory = tree / repository.relative(here)
        directory.mkdir(parents=True, exist_ok=True)
        mapped = [
            tree / repository.relative(root) if repository.inside(root) else root for root in roots
        ]
        try:
            derived = derive_elsewhere(rewritten, directory=directory, python_path=mapped)
        except ConfigError as error:
            message = _unscratched(error.message, tree, repository.top)
            raise ConfigError(f"--against {ref}: {message}") from None
    return [
        Derived(
            _document_unscratched(found.document, tree, repository.top),
            label_at_ref(reference, ref),
            [_unscratched(w, tree, repository.top) for w in found.warnings],
        )
        for reference, found in zip(references, derived, strict=True)
    ]


def _import_roots(python_path: Sequence[str | Path], here: Path) -> list[Path]:
    """The roots a ``py:`` reference imports from in the working tree, absolute."""
    from_environment = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    roots = [*(Path(p) for p in python_path), here, *(Path(p) for p in from_environment)]
    return list(dict.fromkeys(r if r.is_absolute() else here / r for r in roots))


def _go_files(
    repository: _Repository, reference: str, here: Path, files: list[tuple[str, str]]
) -> str:
    """Add the files a ``go:`` reference needs at the ref; the reference for the fresh run."""
    path_text, type_name = parse_go(reference)
    name = repository.relative(here / path_text)
    ref = repository.ref
    kind = repository.kind(name) if name else "tree"
    if kind is None:
        raise ConfigError(
            f"--against {ref}: {reference}: {name} does not exist at {ref} "
            "(a new package has no base version to compare with)"
        )
    if kind == "blob" and name.endswith(".go"):
        package = str(PurePosixPath(name).parent).removeprefix(".")
    elif kind == "tree":
        package = name
    else:
        raise ConfigError(
            f"--against {ref}: {reference}: {name} is not a Go package directory "
            f"or .go file at {ref}"
        )
    module = _module_root(repository, package)
    if module is None:
        files += [
            (oid, path)
            for oid, path in repository.files(package)
            if path.endswith(".go") and str(PurePosixPath(path).parent).removeprefix(".") == package
        ]
    else:
        files += [
            (oid, path)
            for oid, path in repository.files(module)
            if path.endswith(".go") or path == _join(module, "go.mod")
        ]
    # The fresh interpreter works in the counterpart of the current directory.
    relative = Path(os.path.relpath(repository.top / name, here.resolve())).as_posix()
    return f"{GO_PREFIX}{relative}:{type_name}"


def _module_root(repository: _Repository, package: str) -> str | None:
    """The directory of the nearest ``go.mod`` at or above ``package`` at the ref."""
    directories = [package]
    while directories[-1]:
        directories.append(str(PurePosixPath(directories[-1]).parent).removeprefix("."))
    candidates = [_join(d, "go.mod") for d in directories]
    present = {path for _, path in repository.files(*candidates)}
    for directory, candidate in zip(directories, candidates, strict=True):
        if candidate in present:
            return directory
    return None


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name


def _python_files(
    repository: _Repository, reference: str, roots: Sequence[Path], files: list[tuple[str, str]]
) -> None:
    """Add what a ``py:`` reference may import at the ref, from each root in the repository."""
    module, _, _ = parse_py(reference)
    top_level = module.partition(".")[0]
    for root in roots:
        if not repository.inside(root):
            continue
        name = repository.relative(root)
        package = _join(name, top_level)
        files += [
            (oid, path)
            for oid, path in repository.files(name)
            if path.endswith(".py") or path.startswith(package + "/")
        ]


def _unscratched(text: str, tree: Path, top: Path) -> str:
    """A message from the fresh run with its temporary paths as repository paths."""
    return text.replace(f"{tree}/", "").replace(str(tree), str(top))


def _document_unscratched(
    document: dict[str, Any] | None, tree: Path, top: Path
) -> dict[str, Any] | None:
    """The derived document with temporary paths (in descriptions) as the working tree's.

    Descriptions name declarations relative to the current directory, the
    same on both sides; only a file outside it is named by its absolute path.
    """
    if document is None:
        return None
    text = json.dumps(document).replace(json.dumps(str(tree))[1:-1], json.dumps(str(top))[1:-1])
    result: dict[str, Any] = json.loads(text)
    return result
