"""Mutation testing of the engine's exact core with cosmic-ray (docs/testing.md).

    make mutation                                  # 150 sampled mutants of HEAD
    .venv/bin/python scripts/mutation.py --sample 300 --seed 7 --rev HEAD
    .venv/bin/python scripts/mutation.py --report .mutation/HEAD   # summary again
    .venv/bin/python scripts/mutation.py --same-as .mutation/OLD   # the mutants OLD tested

The committed tree at ``--rev`` is copied to ``--workdir`` and mutated there:
cosmic-ray writes each mutant over the source file, so it never runs in a
working tree someone is editing. Every mutant of the modules in MODULES is
enumerated; mutants inside annotations are dropped (every module says
``from __future__ import annotations``, so annotations are never evaluated
and such mutants cannot be killed); ``--sample`` of the rest are drawn with a
fixed seed, keyed by (module, operator, occurrence), so the same source gives
the same sample. The others are marked skipped. ``--same-as`` instead runs
the mutants an earlier run tested (matched by module, operator and the text
of the mutated line, so edits elsewhere in a module do not change the set):
the way to compare the tests before and after a change. Each mutant runs the fast
engine tests (TESTS, cheapest first, stopping at the first failure) with a
fixed hypothesis seed and no example database, so a result depends on the
mutant only.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = [
    "cdccheck/engine/fastpath.py",
    "cdccheck/engine/shapes.py",
    "cdccheck/engine/remembered.py",
    "cdccheck/engine/plans.py",
    "cdccheck/engine/decoders.py",
    "cdccheck/engine/compiled.py",
    "cdccheck/engine/wire.py",
    "cdccheck/engine/warnings.py",
    "cdccheck/engine/reference.py",
]
FIRST_TESTS = [
    "tests/engine/test_wire.py",
    "tests/engine/test_differential.py",
    "tests/engine/test_conformance.py",
]
"""Run first: they are the cheapest per mutant they kill. The other tests/engine files follow."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to mutate (default HEAD)")
    parser.add_argument("--sample", type=int, default=150, help="mutants to run (default 150)")
    parser.add_argument("--seed", type=int, default=14, help="sampling seed (default 14)")
    parser.add_argument("--workdir", type=Path, help="where the copy goes (.mutation/<rev>)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per mutant")
    parser.add_argument("--report", type=Path, metavar="WORKDIR", help="only summarise a run")
    parser.add_argument("--same-as", type=Path, metavar="WORKDIR", help="the mutants it tested")
    args = parser.parse_args()
    if args.report is not None:
        return report(args.report)
    workdir = args.workdir or ROOT / ".mutation" / args.rev.replace("/", "_")
    tree = workdir / "tree"
    if workdir.exists():
        shutil.rmtree(workdir)
    tree.mkdir(parents=True)
    _export(args.rev, tree)
    tests = _tests(tree)
    command = _test_command(tests)
    config = workdir / "cosmic-ray.toml"
    config.write_text(_config(command, args.timeout), encoding="utf-8")
    os.environ["CDCCHECK_SHARED"] = os.environ.get("CDCCHECK_SHARED", str(ROOT.parent / "shared"))
    started = time.monotonic()
    baseline = subprocess.run(
        shlex.split(command), cwd=tree, capture_output=True, text=True, check=False
    )
    if baseline.returncode != 0:
        print(baseline.stdout[-3000:], file=sys.stderr)
        print("mutation: the tests fail on the unmutated tree", file=sys.stderr)
        return 1
    print(f"baseline: the tests pass in {time.monotonic() - started:.0f}s")
    session = workdir / "session.sqlite"
    cosmic_ray = str(Path(sys.executable).with_name("cosmic-ray"))
    subprocess.run([cosmic_ray, "init", str(config), str(session)], cwd=tree, check=True)
    wanted = None if args.same_as is None else _tested_keys(args.same_as)
    chosen, total, in_annotations = _sample(session, tree, args.sample, args.seed, wanted)
    if wanted is not None:
        print(f"{chosen} of the {len(wanted)} mutants {args.same_as} tested are found here")
    meta = {"rev": args.rev, "commit": _commit(args.rev), "seed": args.seed, "tests": tests,
            "mutants": total, "in_annotations": in_annotations, "sampled": chosen}  # fmt: skip
    (workdir / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"{total} mutants, {in_annotations} in annotations, {chosen} sampled; running")
    subprocess.run([cosmic_ray, "exec", str(config), str(session)], cwd=tree, check=True)
    return report(workdir)


def _export(rev: str, tree: Path) -> None:
    with tempfile.TemporaryFile() as archive:
        subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=archive, check=True)
        archive.seek(0)
        with tarfile.open(fileobj=archive) as tar:
            tar.extractall(tree, filter="data")


def _commit(rev: str) -> str:
    return subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip


def _tests(tree: Path) -> list[str]:
    others = sorted(
        str(path.relative_to(tree))
        for path in (tree / "tests" / "engine").glob("test_*.py")
        if str(path.relative_to(tree)) not in FIRST_TESTS
    )
    return [test for test in FIRST_TESTS if (tree / test).exists()] + others


def _test_command(tests: list[str]) -> str:
    # No example database: a failure found for one mutant must not be replayed for the next.
    pytest = " ".join([
        shlex.quote(sys.executable), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
        "-m", shlex.quote("not slow"), "--hypothesis-seed=0", *tests,
    ])  # fmt: skip
    return "bash -c " + shlex.quote(f"rm -rf .hypothesis; exec {pytest}")


def _config(command: str, timeout: float) -> str:
    modules = ", ".join(json.dumps(module) for module in MODULES)
    return (
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "\n[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )


def _annotation_lines(source: str) -> set[tuple[int, int]]:
    """(row, column) of every character inside an annotation."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            spans.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            spans.append(node.returns)
    lines = source.splitlines()
    inside: set[tuple[int, int]] = set()
    for span in spans:
        assert span.end_lineno is not None
        assert span.end_col_offset is not None
        for row in range(span.lineno, span.end_lineno + 1):
            start = span.col_offset if row == span.lineno else 0
            end = span.end_col_offset if row == span.end_lineno else len(lines[row - 1])
            inside.update((row, column) for column in range(start, end))
    return inside


Key = tuple[str, str, str, int, int]
"""A mutant by (module, operator, text of its line, column in that text, nth such)."""


def _keys(session: Path, tree: Path) -> dict[str, Key]:
    """Every mutant's job id -> a key that survives edits elsewhere in its module."""
    from cosmic_ray.work_db import WorkDB, use_db

    lines = {module: (tree / module).read_text().splitlines() for module in MODULES}
    keys: dict[str, Key] = {}
    seen: Counter[tuple[str, str, str, int]] = Counter()
    with use_db(str(session), WorkDB.Mode.open) as db:
        items = sorted(db.work_items, key=lambda item: tuple(item.mutations[0].start_pos))
    for item in items:
        [mutation] = item.mutations
        module = str(mutation.module_path)
        row, column = mutation.start_pos
        line = lines[module][row - 1]
        indent = len(line) - len(line.lstrip())
        base = (module, mutation.operator_name, line.strip(), column - indent)
        keys[item.job_id] = (*base, seen[base])
        seen[base] += 1
    return keys


def _tested_keys(workdir: Path) -> set[Key]:
    """The keys of the mutants an earlier run tested (skipped ones left out)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome

    meta = json.loads((workdir / "meta.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        tree = Path(scratch)
        _export(meta["commit"], tree)
        keys = _keys(workdir / "session.sqlite", tree)
    with use_db(str(workdir / "session.sqlite"), WorkDB.Mode.open) as db:
        return {
            keys[item.job_id]
            for item, result in db.completed_work_items
            if result.worker_outcome != WorkerOutcome.SKIPPED
        }


def _sample(
    session: Path, tree: Path, size: int, seed: int, wanted: set[Key] | None
) -> tuple[int, int, int]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    annotations = {module: _annotation_lines((tree / module).read_text()) for module in MODULES}
    keys = _keys(session, tree)
    with use_db(str(session), WorkDB.Mode.open) as db:
        items = db.work_items
        candidates = []
        in_annotations = 0
        for item in items:
            [mutation] = item.mutations
            module = str(mutation.module_path)
            if tuple(mutation.start_pos) in annotations[module]:
                in_annotations += 1
                continue
            candidates.append(((module, mutation.operator_name, mutation.occurrence), item.job_id))
        candidates.sort()
        if wanted is not None:
            chosen = {job for _, job in candidates if keys[job] in wanted}
        else:
            drawn = random.Random(seed).sample(candidates, min(size, len(candidates)))
            chosen = {job for _, job in drawn}
        skipped = [item.job_id for item in items if item.job_id not in chosen]
        db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
    return len(chosen), len(items), in_annotations


def report(workdir: Path) -> int:
    """Print the score of a run and write its survivors (with diffs) to survivors.txt."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    outcomes: Counter[str] = Counter()
    survivors = []
    with use_db(str(workdir / "session.sqlite"), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            [mutation] = item.mutations
            where = f"{mutation.module_path}:{mutation.start_pos[0]}"
            outcome = str(result.test_outcome.value) if result.test_outcome else "error"
            outcomes[outcome] += 1
            if result.test_outcome == TestOutcome.SURVIVED:
                survivors.append((where, mutation.operator_name, mutation.occurrence, result.diff))
        pending = len(db.pending_work_items)
    # An incompetent mutant never ran the tests (it broke the test command itself): not scored.
    killed = outcomes[TestOutcome.KILLED.value]
    ran = killed + outcomes[TestOutcome.SURVIVED.value]
    score = killed / ran if ran else 0.0
    print(f"{ran} mutants tested ({pending} pending): {dict(outcomes)}; score {score:.1%}")
    survivors.sort(key=lambda survivor: (survivor[0].split(":")[0], int(survivor[0].split(":")[1])))
    with (workdir / "survivors.txt").open("w", encoding="utf-8") as out:
        for where, operator, occurrence, diff in survivors:
            out.write(f"=== {where} {operator} #{occurrence}\n{diff}\n")
    print(f"{len(survivors)} survivors in {workdir / 'survivors.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
