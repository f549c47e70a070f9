"""approvals.yaml: approved generated views join the typed references; concurrent approvals lose nothing."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from PIL import Image
from shotreel.approvals import approve, approved_paths, approved_references, load_approvals, revoke
from shotreel.errors import ProjectError
from shotreel.project import load_project


def _view(root: Path, asset: str, name: str) -> str:
    path = root / "refs" / asset / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), (90, 90, 90)).save(path)
    return f"refs/{asset}/{name}.png"


def test_approved_views_follow_the_typed_references(example_dir: Path) -> None:
    film = load_project(example_dir)
    front = _view(example_dir, "mara", "front")
    film.asset("mara").references.append("refs/typed.png")
    assert approved_paths(film, "mara") == ["refs/typed.png"]
    approve(film, "mara", [front])
    assert approved_paths(film, "mara") == ["refs/typed.png", front]
    assert approved_references(film, "mara")[-1] == example_dir / front
    assert (example_dir / "approvals.yaml").read_text().startswith("# Approved asset references")
    assert revoke(film, "mara", [front]) == []
    assert load_approvals(film) == {}


def test_an_unknown_asset_or_a_missing_view_is_refused_and_nothing_written(example_dir: Path) -> None:
    film = load_project(example_dir)
    with pytest.raises(ProjectError, match="no asset 'nobody'"):
        approve(film, "nobody", [])
    with pytest.raises(ProjectError, match="asset mara: no reference file refs/mara/back.png"):
        approve(film, "mara", ["refs/mara/back.png"])
    assert not (example_dir / "approvals.yaml").exists()


def test_a_broken_approvals_file_names_itself(example_dir: Path) -> None:
    (example_dir / "approvals.yaml").write_text("mara: [unclosed\n")
    with pytest.raises(ProjectError) as caught:
        load_approvals(load_project(example_dir))
    assert caught.value.file == "approvals.yaml"


def _approve_many(root: str, names: list[str]) -> None:
    film = load_project(Path(root))
    for name in names:
        approve(film, "mara", [f"refs/mara/{name}.png"])


def test_approvals_from_several_processes_at_once_are_all_kept(example_dir: Path) -> None:
    names = [f"v{i:02d}" for i in range(30)]
    for name in names:
        _view(example_dir, "mara", name)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_approve_many, args=(str(example_dir), names[i::3])) for i in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert sorted(load_approvals(load_project(example_dir))["mara"]) == [f"refs/mara/{n}.png" for n in names]


def test_the_approvals_are_read_again_whenever_the_file_changes(example_dir: Path) -> None:
    import time
    film = load_project(example_dir)
    (example_dir / "approvals.yaml").write_text("mara: [refs/mara/a.png]\n")
    time.sleep(0.15)  # old enough to be remembered
    assert load_approvals(film) == {"mara": ["refs/mara/a.png"]}
    load_approvals(film)["mara"].append("changed by the caller")
    assert load_approvals(film) == {"mara": ["refs/mara/a.png"]}, "a caller's change is its own"
    (example_dir / "approvals.yaml").write_text("mara: [refs/mara/b.png]\n")  # same size, edited by hand
    assert load_approvals(film) == {"mara": ["refs/mara/b.png"]}
