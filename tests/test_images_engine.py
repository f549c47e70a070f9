"""Stills through the generation engine (``shotreel.generation.images``): landed where asked with their
sidecars, recorded in the ledger before they are sent, never paid twice, never over an artist's file.

The offline ``animatic`` provider draws real PNG sketches; ``PaidStills`` below is a provider written for
these tests that keeps the documented contract (like ``ContractProvider`` in ``test_scheduler.py``): it
bills each still, counts what it accepted, serves a real JPEG, and can lose a create's answer after making
the job and find it again by client id.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from pathlib import Path

import pytest
from PIL import Image
from shotreel.cli import main
from shotreel.errors import ShotreelError
from shotreel.fsutil import atomic_output
from shotreel.generation import ledger as L
from shotreel.generation.base import (
    IMAGE,
    AmbiguousSubmit,
    Capabilities,
    CostEstimate,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    Provider,
)
from shotreel.generation.images import ImageJob, generate_images
from shotreel.generation.ledger import Ledger
from shotreel.generation.scheduler import generate
from shotreel.project import load_project

from tests.servers import fake_server  # noqa: F401  (pytest fixture)

from ._generation import draw_plain_boards


class PaidStills(Provider):
    """Bills $0.04 a still; each job runs ``service`` seconds; ``lose_answer``: the create of these owners
    makes the job, then the connection drops (the answer is lost)."""

    name = "paidstills"

    def __init__(self, service: float = 0.02, client_ids: bool = True):
        self.service = service
        self.poll_interval = 0.01
        self.client_ids = client_ids
        self.lock = threading.Lock()
        self.jobs: dict[str, dict] = {}
        self.accepted: list[str] = []
        self.fetched: list[str] = []
        self.lose_answer: set[str] = set()

    def capabilities(self, model: str) -> Capabilities:
        return Capabilities(max_concurrency=4, max_reference_images=4)

    def default_model(self) -> str:
        return "video-1"

    def image_models(self) -> tuple[str, ...]:
        return ("still-1",)

    def missing_keys(self) -> list[str]:
        return ["PAIDSTILLS_KEY"]

    def require_key(self, shot: str | None = None) -> None:
        """Keys are the dry run's concern here."""

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        return CostEstimate(0.04, f"one {request.width}×{request.height} still at $0.04 (still-1) = $0.04")

    def estimate_cost(self, request: GenerationRequest) -> float:
        return 0.04

    def submit(self, request: GenerationRequest) -> JobHandle:
        assert request.kind == IMAGE
        with self.lock:
            job_id = f"img-{len(self.jobs) + 1}"
            self.jobs[job_id] = {"client_id": request.client_id, "created": time.monotonic(),
                                 "size": (request.width, request.height), "shot": request.shot_id}
            self.accepted.append(f"{request.shot_id}/{request.take_id}")
        if request.shot_id in self.lose_answer:
            raise AmbiguousSubmit("paidstills: the connection dropped after the request was sent")
        return JobHandle(job_id, {"shot": request.shot_id})

    def poll(self, handle: JobHandle) -> JobStatus:
        job = self.jobs[handle.job_id]
        if time.monotonic() - job["created"] < self.service:
            return JobStatus(JobState.RUNNING, raw_status="RUNNING")
        return JobStatus(JobState.SUCCEEDED, raw_status="SUCCEEDED", result_urls=[f"paid://{handle.job_id}"],
                         cost=0.04)

    def fetch(self, handle: JobHandle, status: JobStatus, destination: Path, *, max_bytes: int | None = None) -> Path:
        with self.lock:
            self.fetched.append(handle.job_id)
        buffer = io.BytesIO()
        Image.new("RGB", self.jobs[handle.job_id]["size"], (200, 40, 40)).save(buffer, format="JPEG")
        with atomic_output(destination) as tmp:
            tmp.write_bytes(buffer.getvalue())
        return destination

    def find_by_client_id(self, client_id: str) -> JobHandle | None:
        if not self.client_ids:
            return None
        for job_id, job in self.jobs.items():
            if job["client_id"] == client_id:
                return JobHandle(job_id, {"shot": job["shot"]})
        return None


@pytest.fixture
def film(example_dir: Path):
    film = load_project(example_dir)
    draw_plain_boards(film)
    refs = example_dir / "refs" / "mara"
    refs.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (300, 400), (240, 120, 20)).save(refs / "sketch.png")
    return film


def _job(film, owner: str, view: str, destination: str, prompt: str = "Mara, front view, orange suit",
         size: tuple[int, int] = (512, 768), seed: int | None = 7, references=("refs/mara/sketch.png",),
         provenance: dict | None = None) -> ImageJob:
    request = GenerationRequest(take_id=view, shot_id=owner, provider="", model="", prompt=prompt,
                                duration_frames=0, fps=film.fps, width=size[0], height=size[1], seed=seed,
                                reference_images=tuple(film.root / p for p in references), kind=IMAGE)
    return ImageJob(request, destination, provenance or {"inputs": {"asset": owner}})


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(film) -> dict[str, str]:
    with Ledger.open(film.root) as ledger:
        return {r.key: r.state for r in ledger.jobs()}


def test_stills_land_where_asked_with_their_sidecars(film):
    jobs = [_job(film, "asset:mara", "front", "refs/mara/front"),
            _job(film, "asset:mara", "profile", "refs/mara/profile", prompt="Mara, profile", size=(640, 480)),
            _job(film, "sh040", "c001", "boards/candidates/sh040/c001", prompt="Mara turns", references=())]
    seen = []
    summary = generate_images(film, jobs, progress=lambda done, total, line: seen.append((done, total, line)))
    assert summary.ok and sorted(o.key for o in summary.done) == ["asset:mara/front", "asset:mara/profile",
                                                                  "sh040/c001"]
    assert seen[-1][:2] == (3, 3) and "done 3" in seen[-1][2]
    front = film.root / "refs" / "mara" / "front.png"
    with Image.open(front) as image:
        assert image.format == "PNG" and image.size == (512, 768)
    with Image.open(film.root / "refs" / "mara" / "profile.png") as image:
        assert image.size == (640, 480)
    assert (film.root / "boards" / "candidates" / "sh040" / "c001.png").is_file()
    sidecar = json.loads((film.root / "refs" / "mara" / "front.json").read_text())
    assert sidecar["kind"] == "image" and sidecar["provider"] == "animatic" and sidecar["model"] == "sketch"
    assert sidecar["prompt"] == "Mara, front view, orange suit" and sidecar["seed"] == 7
    assert sidecar["reference_images"] == [{"path": "refs/mara/sketch.png",
                                            "sha256": _sha(film.root / "refs" / "mara" / "sketch.png")}]
    assert sidecar["file"] == "front.png" and sidecar["sha256"] == _sha(front)
    assert sidecar["job_id"].startswith("animatic-") and sidecar["cost"] == 0.0 and sidecar["created"] > 0
    assert sidecar["inputs"] == {"asset": "asset:mara"} and sidecar["notes"] == []
    assert (sidecar["width"], sidecar["height"]) == (512, 768)
    assert _rows(film) == {"asset:mara/front": L.DONE, "asset:mara/profile": L.DONE, "sh040/c001": L.DONE}
    leftovers = [p for p in film.root.rglob(".*") if p.is_file() and ".shotreel" not in p.parts]
    assert leftovers == [], "nothing half-written"
    # the board candidate is not one of sh040's takes: a take is still planned for it
    takes = generate(film, shots=["sh040"], dry_run=True)
    assert [r.take_id for r in takes.requests] == ["t001"]


def test_the_sketch_is_the_same_for_the_same_request_and_seed(film):
    generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front"),
                           _job(film, "asset:mara", "again", "refs/mara/again"),
                           _job(film, "asset:mara", "seed8", "refs/mara/seed8", seed=8)])
    folder = film.root / "refs" / "mara"
    assert _sha(folder / "front.png") != _sha(folder / "seed8.png")
    # the view name is drawn on the sketch; the same owner, view, prompt and seed draw the same bytes
    other = folder.parent.parent / "elsewhere"
    generate_images(film, [_job(film, "asset:mara", "front", "elsewhere/front")])
    assert _sha(other / "front.png") == _sha(folder / "front.png")


def test_running_again_pays_nothing_and_a_changed_request_makes_a_new_job(film):
    provider = PaidStills()
    job = _job(film, "asset:mara", "front", "refs/mara/front")
    first = generate_images(film, [job], provider=provider)
    assert first.ok and first.spent == pytest.approx(0.04) and provider.accepted == ["asset:mara/front"]
    still = film.root / "refs" / "mara" / "front.jpg"
    with Image.open(still) as image:
        assert image.format == "JPEG" and image.size == (512, 768)
    again = generate_images(film, [job], provider=provider)
    assert again.ok and again.requests == [] and provider.accepted == ["asset:mara/front"]
    assert [o.message for o in again.done] == ["already there"]
    changed = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front", prompt="Mara, older")],
                              provider=provider)
    assert changed.ok and provider.accepted == ["asset:mara/front", "asset:mara/front~2"]
    sidecar = json.loads((film.root / "refs" / "mara" / "front.json").read_text())
    assert sidecar["prompt"] == "Mara, older" and sidecar["take"] == "front~2" and sidecar["file"] == "front.jpg"
    assert _rows(film) == {"asset:mara/front": L.DONE, "asset:mara/front~2": L.DONE}


def test_a_crash_while_a_still_of_another_format_is_replaced_lands_it(film):
    generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front")])  # front.png (animatic)
    png = (film.root / "refs" / "mara" / "front.png").read_bytes()
    provider = PaidStills()  # JPEG
    job = _job(film, "asset:mara", "front", "refs/mara/front", prompt="Mara, older")
    generate_images(film, [job], provider=provider)
    folder = film.root / "refs" / "mara"
    assert sorted(p.name for p in folder.glob("front.*")) == ["front.jpg", "front.json"]
    # as a kill after the new sidecar was written, before the JPEG moved in and the PNG went away, leaves it
    staged = film.root / ".shotreel" / "staging" / "image.asset_mara.front~2.still"
    (folder / "front.jpg").rename(staged)
    (folder / "front.png").write_bytes(png)
    with Ledger.open(film.root) as ledger:
        ledger._db.execute("UPDATE jobs SET state = 'downloading' WHERE take = 'front~2'")
    again = generate_images(film, [job], provider=provider)
    assert again.ok and provider.fetched == ["img-1"] and not again.skipped
    assert sorted(p.name for p in folder.glob("front.*")) == ["front.jpg", "front.json"]
    # a PNG drawn there later by an artist is theirs, whatever the sidecar once replaced
    Image.new("RGB", (8, 8)).save(folder / "front.png")
    later = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front", prompt="Mara, young")],
                            provider=provider)
    assert "front.png is not shotreel's" in later.skipped[0][1] and (folder / "front.png").is_file()


def test_a_still_delivered_at_another_size_says_so(film):
    class Upscaling(PaidStills):
        def fetch(self, handle, status, destination, *, max_bytes=None):
            self.jobs[handle.job_id]["size"] = (1024, 1024)
            return super().fetch(handle, status, destination, max_bytes=max_bytes)

    summary = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front")], provider=Upscaling())
    assert summary.done[0].message == "delivered at 1024×1024 (aspect 1.00), asked 512×768 (0.67)"
    sidecar = json.loads((film.root / "refs" / "mara" / "front.json").read_text())
    assert sidecar["notes"] == [summary.done[0].message] and (sidecar["width"], sidecar["height"]) == (1024, 1024)


def test_an_artists_file_is_never_overwritten(film):
    drawn = film.root / "refs" / "mara" / "front.webp"
    Image.new("RGB", (100, 100), (1, 2, 3)).save(drawn, format="WEBP")
    before = drawn.read_bytes()
    provider = PaidStills()
    summary = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front"),
                                     _job(film, "asset:mara", "back", "refs/mara/back")], provider=provider)
    assert dict(summary.skipped) == {"asset:mara": "refs/mara/front.webp is not shotreel's (no sidecar): kept, "
                                                   "no still generated over it"}
    assert drawn.read_bytes() == before and not (film.root / "refs" / "mara" / "front.json").exists()
    assert provider.accepted == ["asset:mara/back"] and not summary.ok
    assert _rows(film) == {"asset:mara/back": L.DONE}


def test_a_json_file_at_the_destination_that_is_not_a_sidecar_is_kept(film):
    notes = film.root / "refs" / "mara" / "front.json"
    notes.write_text('{"my": "notes"}\n')
    summary = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front")])
    assert [shot for shot, _ in summary.skipped] == ["asset:mara"] and "front.json is not shotreel's" in \
        summary.skipped[0][1]
    assert notes.read_text() == '{"my": "notes"}\n' and not (film.root / "refs" / "mara" / "front.png").exists()


def test_a_crash_after_landing_reconciles_from_disk_without_fetching_again(film):
    provider = PaidStills()
    job = _job(film, "asset:mara", "front", "refs/mara/front")
    generate_images(film, [job], provider=provider)
    # a kill after the still and its sidecar landed, before the ledger said so (left running, then downloading)
    for state in (L.RUNNING, L.DOWNLOADING):
        with Ledger.open(film.root) as ledger:
            ledger._db.execute("UPDATE jobs SET state = ? WHERE take = 'front'", (state,))
        again = generate_images(film, [job], provider=provider)
        assert again.ok and [o.message for o in again.done] == ["found on disk"]
        assert provider.accepted == ["asset:mara/front"] and provider.fetched == ["img-1"]
        assert _rows(film) == {"asset:mara/front": L.DONE}


def test_a_crash_between_download_and_landing_lands_from_staging(film):
    provider = PaidStills()
    job = _job(film, "asset:mara", "front", "refs/mara/front")
    generate_images(film, [job], provider=provider)
    still, sidecar = film.root / "refs" / "mara" / "front.jpg", film.root / "refs" / "mara" / "front.json"
    staged = film.root / ".shotreel" / "staging" / "image.asset_mara.front.still"
    still.rename(staged)  # the kill came after the sidecar was written, before the still moved into place
    with Ledger.open(film.root) as ledger:
        ledger._db.execute("UPDATE jobs SET state = 'downloading' WHERE take = 'front'")
    again = generate_images(film, [job], provider=provider)
    assert again.ok and provider.fetched == ["img-1"] and provider.accepted == ["asset:mara/front"]
    assert still.is_file() and json.loads(sidecar.read_text())["sha256"] == _sha(still) and not staged.exists()


def test_a_lost_create_answer_is_found_by_client_id_and_not_paid_twice(film):
    provider = PaidStills()
    provider.lose_answer.add("asset:mara")
    summary = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front")], provider=provider)
    assert summary.ok and provider.accepted == ["asset:mara/front"]
    assert (film.root / "refs" / "mara" / "front.jpg").is_file()
    with Ledger.open(film.root) as ledger:
        events = [d for _, _, d in ledger.events("asset:mara", "front")]
    assert any(d and d.startswith("found by client id") for d in events)


def test_an_unknown_submit_is_never_sent_again_and_can_be_attached(film, capsys):
    provider = PaidStills(client_ids=False)
    provider.lose_answer.add("asset:mara")
    job = _job(film, "asset:mara", "front", "refs/mara/front")
    summary = generate_images(film, [job], provider=provider)
    assert [o.key for o in summary.unknown] == ["asset:mara/front"] and not summary.ok
    again = generate_images(film, [job], provider=provider)
    assert provider.accepted == ["asset:mara/front"] and again.requests == []
    assert _rows(film) == {"asset:mara/front": L.UNKNOWN_SUBMIT}
    assert main(["jobs", str(film.root)]) == 0
    out = capsys.readouterr().out
    assert "asset:mara/front may exist at the provider" in out and "still for refs/mara/front" in out
    # the user found the job on the dashboard: attached, its still fetched and landed, nothing sent again
    from shotreel.generation import registry
    provider.lose_answer.clear()
    original = registry.get_provider
    registry.get_provider = lambda name, **options: provider if name == "paidstills" else original(name, **options)
    try:
        assert main(["jobs", str(film.root), "--attach", "asset:mara/front", "img-1"]) == 0
    finally:
        registry.get_provider = original
    assert provider.accepted == ["asset:mara/front"] and provider.fetched == ["img-1"]
    assert json.loads((film.root / "refs" / "mara" / "front.json").read_text())["job_id"] == "img-1"


def test_resubmit_and_forget_work_for_stills(film, capsys):
    provider = PaidStills(client_ids=False)
    provider.lose_answer.add("asset:mara")
    generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front"),
                           _job(film, "asset:mara", "back", "refs/mara/back")], provider=provider)
    assert main(["jobs", str(film.root), "--forget", "asset:mara/back"]) == 0
    assert main(["jobs", str(film.root), "--resubmit", "asset:mara/front"]) == 0
    assert "the next run asking for refs/mara/front" in capsys.readouterr().out
    provider.lose_answer.clear()
    summary = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front"),
                                     _job(film, "asset:mara", "back", "refs/mara/back")], provider=provider)
    assert summary.ok
    assert sorted(provider.accepted) == ["asset:mara/back", "asset:mara/back~2", "asset:mara/front",
                                         "asset:mara/front"]
    assert _rows(film) == {"asset:mara/front": L.DONE, "asset:mara/back": L.CANCELED,
                           "asset:mara/back~2": L.DONE}


def test_dry_run_prices_every_job_and_records_nothing(film):
    provider = PaidStills()
    jobs = [_job(film, "asset:mara", v, f"refs/mara/{v}") for v in ("front", "three-quarter", "profile", "back")]
    summary = generate_images(film, jobs, provider=provider, dry_run=True)
    assert [c.amount for c in summary.costs] == [0.04] * 4 and summary.estimated_cost == pytest.approx(0.16)
    assert all("$0.04" in c.explanation for c in summary.costs)
    assert summary.missing_keys == ["PAIDSTILLS_KEY"] and summary.would_fail
    assert provider.accepted == [] and not (film.root / ".shotreel").exists()


def test_bad_jobs_are_refused_in_one_line_before_anything_is_recorded(film):
    with pytest.raises(ShotreelError, match="without its suffix"):
        generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front.png")])
    with pytest.raises(ShotreelError, match="inside the project folder"):
        generate_images(film, [_job(film, "asset:mara", "front", "../front")])
    with pytest.raises(ShotreelError, match="both land at refs/mara/front"):
        generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front"),
                               _job(film, "asset:mara", "face", "refs/mara/front")])
    missing = _job(film, "asset:mara", "front", "refs/mara/front", references=("refs/mara/gone.png",))
    with pytest.raises(ShotreelError, match="reference image not found") as error:
        generate_images(film, [missing])
    assert "gone.png" in str(error.value) and "asset:mara" in str(error.value)
    from shotreel.generation.base import BadRequest
    from shotreel.generation.providers.runway import create as runway
    runway_provider = runway(api_key="k")
    if not runway_provider.image_models():
        with pytest.raises(BadRequest, match="does not make still images"):
            generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front")], provider=runway_provider)
    assert not (film.root / ".shotreel" / "ledger.sqlite").exists() or _rows(film) == {}


@pytest.mark.parametrize("scenario", ["drop", "error_after_create"])
def test_a_lost_create_answer_at_comfyui_is_found_by_client_id_and_paid_once(film, fake_server, scenario):  # noqa: F811
    from shotreel.generation.registry import get_provider

    server = fake_server("comfyui", max_concurrent=2)
    provider = get_provider("comfyui", base_url=server.url, poll_interval=0.02)
    jobs = [_job(film, "asset:mara", "front", "refs/mara/front", prompt=f"Mara, front [scenario:{scenario}]"),
            _job(film, "sh040", "c001", "boards/candidates/sh040/c001", prompt="Mara turns", references=(),
                 size=(640, 360))]
    summary = generate_images(film, jobs, provider=provider)
    assert summary.ok, (summary.failed, summary.unknown, summary.waiting)
    with Ledger.open(film.root) as ledger:
        rows = {r.key: r for r in ledger.jobs()}
        events = [d or "" for _, _, d in ledger.events("asset:mara", "front")]
    assert {k: r.state for k, r in rows.items()} == {"asset:mara/front": L.DONE, "sh040/c001": L.DONE}
    assert any(d.startswith("found by client id") for d in events), events
    for row in rows.values():
        assert server.paid(row.client_id) == 1, "each still queued once"
    assert server.duplicates() == {}
    with Image.open(film.root / "boards" / "candidates" / "sh040" / "c001.png") as image:
        assert image.size == (640, 360)
    sidecar = json.loads((film.root / "refs" / "mara" / "front.json").read_text())
    assert sidecar["provider"] == "comfyui" and sidecar["model"] == "image_workflow"
    assert sidecar["reference_images"][0]["path"] == "refs/mara/sketch.png"


def test_a_still_cut_short_is_not_landed(film):
    class CutShort(PaidStills):
        def fetch(self, handle, status, destination, *, max_bytes=None):
            super().fetch(handle, status, destination, max_bytes=max_bytes)
            data = Path(destination).read_bytes()
            Path(destination).write_bytes(data[: len(data) // 2])
            return destination

    summary = generate_images(film, [_job(film, "asset:mara", "front", "refs/mara/front")], provider=CutShort())
    assert [o.key for o in summary.failed] == ["asset:mara/front"] and not summary.ok
    assert "not a readable image" in summary.failed[0].message and "kept as" in summary.failed[0].message
    assert not list((film.root / "refs" / "mara").glob("front.*"))
