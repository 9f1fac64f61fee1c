"""One gate run: resolve the request, compare the schemas, optionally replay a corpus.

`run_gate` takes a `GateRequest` (what to compare, in which mode) and returns
a `GateResult`: per schema file the `Comparison` from `cdccheck.gate.compat`,
the changes a configuration allows or ignores set aside with their reason,
and the corpus report when one was run. Two ways to say what to compare:

* a pair: ``--legacy A --new B`` (or pairs from the configuration);
* ``--against GIT_REF``: every schema file under ``schemas/`` (or the given
  paths) against its version at that ref, read with ``git show`` so relative
  `$ref`s resolve at the same ref; added and removed files are reported. A
  reference to code among the paths is derived in the working tree and at
  the ref (`cdccheck.gate.atref`), and the two are compared the same way.

`resolve_request` puts command-line flags over the configuration
(`cdccheck.gate.config`) over the defaults. The corpus run is injected
(``corpus_check``) so the gate does not depend on the check engine. What the
verdicts mean is in docs/gate.md.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from cdccheck.engine.schema import Schema, document_bytes, load_schema, load_schema_bytes
from cdccheck.errors import ConfigError
from cdccheck.gate.atref import derive_at_ref, run_git
from cdccheck.gate.compat import (
    BACKWARD,
    FORWARD,
    FULL,
    MODES,
    Change,
    Comparison,
    Location,
    compare,
)
from cdccheck.gate.config import FAIL_ON, GateConfig, Ignore
from cdccheck.gate.kinds import LABELS, findings_caused
from cdccheck.gate.schemaview import walk_refs
from cdccheck.grouping import aggregate_path
from cdccheck.model import LEGACY, NEW
from cdccheck.refs import is_reference
from cdccheck.summary import count_failures

DEFAULT_SCHEMA_ROOTS = ("schemas",)
AGAINST_LABELS = {"legacy": "base", "new": "head"}
"""With ``--against`` the sides are the pull request's base and head, named so everywhere."""

Loaded = tuple[str, Schema | None, Schema | None, bool]
"""(the schema as the run names it, legacy or base, new or head, legacy is a working-tree file)."""

CorpusCheck = Callable[[Sequence[str], Schema, Schema], Mapping[str, Any] | None]
"""Runs the check engine over corpus files under (legacy, new); returns its report."""


@dataclass(frozen=True)
class GateRequest:
    """A fully resolved gate run (flags over configuration over defaults)."""

    pairs: tuple[tuple[str, str], ...] = ()
    against: str | None = None
    paths: tuple[str, ...] = ()
    mode: str = FULL
    corpus: tuple[str, ...] = ()
    fail_on: str = "any"
    allow: frozenset[str] = frozenset()
    ignores: tuple[Ignore, ...] = ()
    python_path: tuple[str, ...] = ()
    """Import roots for ``py:`` references (docs/schemas-from-code.md)."""
    allow_ref_paths: tuple[Path, ...] = ()
    """Directories `$ref` may read besides each schema's own (``--allow-ref-path``)."""


@dataclass
class SchemaResult:
    """The gate's verdict on one schema file (or one legacy/new pair)."""

    file: str
    """The schema as the run names it: the new side's path (the legacy one if removed)."""
    legacy: str | None
    """Where the legacy version came from (a path, or ``REF:path``); None if added."""
    new: str | None
    """Where the new version came from; None if the file was removed."""
    comparison: Comparison
    changes: list[Change] = field(default_factory=list)
    """Changes that count: everything but what the configuration allows or ignores."""
    suppressed: list[tuple[Change, str]] = field(default_factory=list)
    """(change, why it does not count)."""
    legacy_on_disk: bool = True
    """Whether ``legacy`` is a file in the working tree (not a git ref's version)."""
    legacy_schema: Schema | None = field(default=None, repr=False)
    new_schema: Schema | None = field(default=None, repr=False)


@dataclass
class GateResult:
    """Static and corpus results of one gate run."""

    mode: str
    fail_on: str
    schemas: list[SchemaResult]
    corpus: Mapping[str, Any] | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: dict(LABELS))
    """How outputs name the sides: ``legacy``/``new``, or ``base``/``head`` with ``--against``."""

    @property
    def changes(self) -> list[Change]:
        """Every change that counts, over all compared files."""
        return [c for s in self.schemas for c in s.changes]

    @property
    def compatible(self) -> dict[str, bool]:
        """Both directions, whatever the mode (the mode only decides the exit code)."""
        return {
            BACKWARD: not any(c.backward for c in self.changes),
            FORWARD: not any(c.forward for c in self.changes),
        }

    @property
    def breaking(self) -> list[Change]:
        """Changes that break compatibility in the gate's mode."""
        return [c for c in self.changes if c.breaks(self.mode)]

    @property
    def corpus_failures(self) -> int:
        """Corpus events that ``fail_on`` counts (0 without a corpus)."""
        return corpus_failures(self.corpus, self.fail_on)

    def evidence(self, change: Change) -> list[Evidence] | None:
        """What the corpus shows for ``change`` (see `corpus_evidence`)."""
        return corpus_evidence(self.corpus, change)

    @property
    def exit_code(self) -> int:
        """0 compatible and clean, 1 a breaking change or corpus findings."""
        return 1 if self.breaking or self.corpus_failures else 0


@dataclass(frozen=True)
class Evidence:
    """Corpus events that already fail the way a change can make them fail."""

    schema: str
    """The schema the change breaks: ``new`` for a backward break, ``legacy`` for forward."""
    path: str
    """Where the witness shows the change, as finding groups write it (indices as ``*``)."""
    kind: str
    """A finding kind the change can cause (cdccheck.gate.kinds)."""
    events: int
    """The events of that finding group (docs/semantics.md, rule 5)."""


def corpus_evidence(report: Mapping[str, Any] | None, change: Change) -> list[Evidence] | None:
    """The corpus's finding groups that show ``change`` breaking events; None: cannot tell.

    A group counts when it is at the place the witness points at, under a
    schema the change breaks, and of a finding kind that kind of change can
    cause: a removed `required` can only make `missing_required` findings, so
    the `type_mismatch` events at the same path are no evidence for it.
    Without a corpus or a witness there is no place to look: None.
    """
    if report is None or change.witness is None:
        return None
    where = aggregate_path(change.witness.path)
    broken = [schema for schema, flag in ((NEW, change.backward), (LEGACY, change.forward)) if flag]
    causes = findings_caused(change.kind)
    found = [
        Evidence(group["schema"], where, group["kind"], int(group.get("events", 0)))
        for group in report.get("findings") or ()
        if group.get("schema") in broken
        and group.get("path") == where
        and group.get("kind") in causes
    ]
    return sorted(found, key=lambda e: (broken.index(e.schema), -e.events, e.kind))


def corpus_failures(report: Mapping[str, Any] | None, fail_on: str) -> int:
    """Events in a check report that ``--fail-on`` counts (0 without a report)."""
    if report is None:
        return 0
    return count_failures(report.get("totals") or {}, fail_on)


# ---- the request --------------------------------------------------------------------------


def resolve_request(
    config: GateConfig,
    *,
    legacy: str | None = None,
    new: str | None = None,
    against: str | None = None,
    paths: Sequence[str] = (),
    mode: str | None = None,
    corpus: Sequence[str] = (),
    fail_on: str | None = None,
    python_path: Sequence[str] = (),
) -> GateRequest:
    """Combine flags (None: not given) with the configuration and the defaults.

    ``python_path`` roots come before the configuration's.
    """
    if mode is not None and mode not in MODES:
        raise ConfigError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    if (legacy is None) != (new is None):
        missing = "--new" if new is None else "--legacy"
        raise ConfigError(f"pass both --legacy and --new (missing {missing})")
    if against is not None and legacy is not None:
        raise ConfigError("pass either --legacy/--new or --against GIT_REF, not both")
    if paths and against is None:
        raise ConfigError("schema paths are for --against GIT_REF; for one pair use --legacy/--new")
    pairs: tuple[tuple[str, str], ...] = ()
    if legacy is not None and new is not None:
        pairs = ((legacy, new),)
    elif against is None:
        pairs = config.pairs
        if not pairs:
            raise ConfigError(
                "nothing to compare: pass --legacy PATH --new PATH, or --against GIT_REF "
                "(or set legacy/new in [tool.cdccheck])"
            )
    return GateRequest(
        pairs=pairs,
        against=against,
        paths=tuple(paths) or (config.schemas if against is not None else ()),
        mode=mode or config.mode or FULL,
        corpus=tuple(corpus),
        fail_on=fail_on or config.fail_on or "any",
        allow=config.allow,
        ignores=config.ignores,
        python_path=(*python_path, *config.python_path),
    )


# ---- the run ------------------------------------------------------------------------------


def run_gate(
    request: GateRequest, *, corpus_check: CorpusCheck | None = None, witnesses: bool = True
) -> GateResult:
    """Compare what ``request`` names, apply allow/ignore, run the corpus when asked.

    Relative paths are relative to the current directory. Raises ConfigError
    for anything the user has to fix (unreadable schema, unknown git ref, ...).
    """
    loaded: list[Loaded] = []
    labels = AGAINST_LABELS if request.against is not None else LABELS
    if request.against is not None:
        loaded = _load_against(request.against, request)
    else:
        for legacy_path, new_path in request.pairs:
            legacy = _load_side(legacy_path, "legacy", request)
            loaded.append((new_path, legacy, _load_side(new_path, "new", request), True))
    results = [
        _judge(
            file=file,
            legacy=legacy,
            new=new,
            on_disk=on_disk,
            request=request,
            witnesses=witnesses,
            labels=labels,
        )
        for file, legacy, new, on_disk in loaded
    ]
    corpus = None
    if request.corpus:
        pairs = [(legacy, new) for _, legacy, new, _ in loaded if legacy and new]
        if len(pairs) != 1:
            raise ConfigError(
                f"--corpus needs exactly one legacy/new pair to check events under, "
                f"not {len(pairs)} (pass --legacy and --new)"
            )
        if corpus_check is None:
            raise ConfigError("--corpus needs the check engine, which this build does not include")
        corpus = corpus_check(list(request.corpus), *pairs[0])
    return GateResult(request.mode, request.fail_on, results, corpus, dict(labels))


def _load_side(path: str, name: str, request: GateRequest) -> Schema:
    """A schema file or reference; a real reader function is refused (it has no schema)."""
    schema = load_schema(
        path,
        name=name,
        python_path=request.python_path,
        allow_ref_paths=request.allow_ref_paths,
    )
    if schema.reader_only:
        raise ConfigError(
            f"--{name} {path} is a real reader (a function), which has no schema: the gate "
            "has nothing to compare statically (name the type it decodes into, or check "
            "events with it in check/replay)"
        )
    return schema


def _judge(
    *,
    file: str,
    legacy: Schema | None,
    new: Schema | None,
    on_disk: bool,
    request: GateRequest,
    witnesses: bool,
    labels: Mapping[str, str],
) -> SchemaResult:
    if legacy is not None and new is not None:
        comparison = compare(legacy, new, witnesses=witnesses, labels=labels)
    elif new is not None:
        comparison = Comparison("", new.path, [_file_added(new, labels)])
    else:
        assert legacy is not None
        comparison = Comparison(legacy.path, "", [_file_removed(legacy, file)])
    result = SchemaResult(
        file=file,
        legacy=legacy.path if legacy else None,
        new=new.path if new else None,
        comparison=comparison,
        legacy_on_disk=on_disk,
        legacy_schema=legacy,
        new_schema=new,
    )
    for change in comparison.changes:
        reason = _suppression(change, file, request)
        if reason is None:
            result.changes.append(change)
        else:
            result.suppressed.append((change, reason))
    return result


def _suppression(change: Change, file: str, request: GateRequest) -> str | None:
    if not (change.backward or change.forward):
        return None
    if change.kind in request.allow:
        return f"{change.kind} is allowed by the configuration"
    for ignore in request.ignores:
        if ignore.matches(change, file):
            return ignore.reason
    return None


def _file_added(new: Schema, labels: Mapping[str, str]) -> Change:
    return Change(
        kind="SCHEMA_FILE_ADDED",
        legacy=None,
        new=Location(new.path, ""),
        backward=False,
        forward=False,
        message=f"new schema file: no {labels['legacy']} version to be compatible with",
    )


def _file_removed(legacy: Schema, file: str) -> Change:
    # Events of this schema may still sit in streams; nothing describes them any more.
    return Change(
        kind="SCHEMA_FILE_REMOVED",
        legacy=Location(legacy.path, ""),
        new=None,
        backward=True,
        forward=False,
        message=f"schema file {file} was removed: readers lose the schema of its events",
        primary="legacy",
    )


# ---- --against GIT_REF --------------------------------------------------------------------


def _load_against(ref: str, request: GateRequest) -> list[Loaded]:
    directory = Path.cwd()
    allowed = request.allow_ref_paths
    if ref.startswith("-"):
        raise ConfigError(f"--against {ref}: a git ref cannot start with '-'")
    top_run = run_git(directory, "rev-parse", "--show-toplevel")
    if top_run.returncode != 0:
        raise ConfigError(f"--against {ref}: {directory} is not inside a git repository")
    top = Path(top_run.stdout.decode().strip())
    if run_git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise ConfigError(
            f"--against {ref}: no such git ref here (fetch it first, e.g. `git fetch origin main`)"
        )
    references = list(dict.fromkeys(p for p in request.paths if is_reference(p)))
    files = [p for p in request.paths if not is_reference(p)]
    if not files and not references:
        files = list(DEFAULT_SCHEMA_ROOTS)
    roots = [Path(p) if Path(p).is_absolute() else directory / p for p in files]
    current: set[str] = set()
    previous: set[str] = set()
    for root in roots:
        relative_root = _relative_to(root.resolve() if root.exists() else root, top)
        if root.is_file():
            current.add(relative_root)
        elif root.is_dir():
            current.update(_relative_to(p.resolve(), top) for p in sorted(root.rglob("*.json")))
        listing = run_git(top, "ls-tree", "-r", "--name-only", ref, "--", relative_root)
        previous.update(
            name
            for name in listing.stdout.decode().splitlines()
            if name.endswith(".json") or name == relative_root
        )
    if roots and not current and not previous:
        shown = ", ".join(files)
        raise ConfigError(f"--against {ref}: no schema files under {shown} (pass schema paths)")
    loaded: list[Loaded] = []
    for name in sorted(current | previous):
        shown = _display(top / name, directory)
        new = load_schema(shown, name="new", allow_ref_paths=allowed) if name in current else None
        legacy = _load_at_ref(ref, name, top, allowed) if name in previous else None
        loaded.append((shown, legacy, new, False))
    return loaded + _references_against(ref, references, top, request)


def _references_against(
    ref: str, references: Sequence[str], top: Path, request: GateRequest
) -> list[Loaded]:
    """Each reference to code derived in the working tree (head) and at ``ref`` (base)."""
    heads = []
    for reference in references:
        head = load_schema(reference, name="new", python_path=request.python_path)
        if head.reader_only:
            raise ConfigError(_reader_refused(reference))
        heads.append(head)
    bases = derive_at_ref(references, ref=ref, top=top, python_path=request.python_path)
    loaded: list[Loaded] = []
    for reference, head, base in zip(references, heads, bases, strict=True):
        if base.document is None:
            raise ConfigError(f"--against {ref}: {_reader_refused(reference)} at {ref}")
        legacy = load_schema_bytes(document_bytes(base.document), name="legacy", origin=base.source)
        # A widening both sides share is said once, by the head.
        said = set(head.warnings)
        widened = tuple(f"at {ref}: {w}" for w in base.warnings if w not in said)
        loaded.append((reference, dataclasses.replace(legacy, warnings=widened), head, False))
    return loaded


def _reader_refused(reference: str) -> str:
    return (
        f"{reference} is a real reader (a function), which has no schema: the gate has "
        "nothing to compare statically (name the type it decodes into)"
    )


def _relative_to(path: Path, top: Path) -> str:
    try:
        return path.relative_to(top.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"{path} is outside the git repository at {top}") from None


def _display(path: Path, directory: Path) -> str:
    try:
        return path.resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        return str(path)


def _show(ref: str, name: str, top: Path) -> bytes | None:
    run = run_git(top, "show", f"{ref}:{name}")
    return run.stdout if run.returncode == 0 else None


def _load_at_ref(ref: str, name: str, top: Path, allowed: Sequence[Path] = ()) -> Schema:
    origin = f"{ref}:{name}"
    raw = _show(ref, name, top)
    if raw is None:
        raise ConfigError(f"cannot read {origin} with git show")
    directory = PurePosixPath(name).parent
    extra: dict[str, bytes] = {}
    pending = [("", raw)]
    while pending:
        uri, content = pending.pop()
        try:
            document = json.loads(content)
        except ValueError:
            continue  # load_schema_bytes reports it with a proper message
        for ref_value in walk_refs(document):
            target, _ = urldefrag(ref_value)
            if not target or urlsplit(target).scheme or urlsplit(target).netloc:
                continue  # internal, or remote (refused at load time with a clear message)
            joined = urljoin(uri, target)
            key = str(PurePosixPath(unquote(joined)))
            if key in extra:
                continue
            path = _normalize(directory / key)
            content_at_ref = _show(ref, path, top)
            if content_at_ref is None:
                raise ConfigError(
                    f"{origin} refers to {target!r}, which does not exist at {ref} ({path})"
                )
            extra[key] = content_at_ref
            pending.append((joined, content_at_ref))
    return load_schema_bytes(
        raw,
        name="legacy",
        origin=origin,
        base_dir=top / directory,
        extra_files=extra,
        allow_ref_paths=allowed,
    )


def _normalize(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)
