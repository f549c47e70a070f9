"""A local ComfyUI server (reference §2.8): upload the board, queue the user's workflow, follow, download.

The user exports their workflow in API format (Workflow ▸ Export (API)) and writes placeholders into it:
``"{{image}}"`` (required: the LoadImage input of the start board), ``"{{end_image}}"``, ``"{{prompt}}"``,
``"{{negative_prompt}}"``, ``"{{seed}}"``, ``"{{frames}}"``, ``"{{fps}}"``, ``"{{width}}"``,
``"{{height}}"``, ``"{{duration}}"`` (seconds), ``"{{take}}"``, ``"{{shot}}"``. A value that is exactly a
placeholder takes its type (``"{{seed}}"`` → an integer); a placeholder inside a longer text is replaced
as text. The board is sent with ``POST /upload/image`` (multipart, named by its content hash so queued jobs of
other shots never see it replaced), the workflow with ``POST /prompt``
and ``prompt_id`` = the request's client id (a UUID the scheduler records in the ledger before the submit;
one made here when a caller gives none), so a job whose answer was lost — a 5xx, a dropped connection, a
timeout — is found again (reference §2.8, ComfyUI ``server.py``: ``prompt_id`` may be chosen by the
client; a 5xx answered with no such job in ``/history`` or ``/queue`` means none was queued, and it is
sent again) by
:meth:`ComfyUIProvider.find_by_client_id` (``/history`` and ``/queue``). Completion is followed over
HTTP (``GET /history/{id}``, ``GET /queue``); the video is downloaded from ``/view``. No key, no cost,
one queue per server. The seed, when the request has none, is derived from the take id (recorded in the
handle).

Stills (requests of kind ``"image"``, model ``image_workflow``) run an API-format image workflow: the file
of the option ``image_workflow``, else one of the two shipped in ``comfyui_workflows/`` (FLUX.1 Kontext
[dev] with ComfyUI's own nodes: ``image_text.json`` for a still without references, ``image_references.json``
with up to three, stitched with ``ImageStitch`` and given to ``ReferenceLatent``). Its placeholders:
``"{{prompt}}"``, ``"{{negative_prompt}}"``, ``"{{seed}}"``, ``"{{width}}"``, ``"{{height}}"``,
``"{{take}}"``, ``"{{shot}}"``, ``"{{image}}"`` (the image to edit, if the workflow edits one) and
``"{{reference_1}}"``, ``"{{reference_2}}"`` … (the approved references, each the ``image`` input of a
LoadImage node). Every input image is uploaded with ``POST /upload/image`` first (named by content, as
boards are); a LoadImage node whose ``{{reference_N}}`` has no reference in this request (or whose
``{{image}}`` has no image to edit) is removed with the inputs wired to it (wire those to optional sockets, such as ``ImageStitch``'s ``image2``). The
workflow must save an image (a ``SaveImage`` node, whose output ``/history`` lists as ``images`` of type
``output``; ComfyUI ``nodes.py`` SaveImage): one that does not is refused before anything is queued,
naming the file. The still is then followed and downloaded exactly as a take (``/prompt`` with
``prompt_id`` = the client id, ``/history/{id}``, ``/view``); the workflow's content is part of
:meth:`ComfyUIProvider.fingerprint`. Images go only to the configured server (by default this machine).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

from ..base import (
    IMAGE,
    VIDEO,
    BadRequest,
    Capabilities,
    CostEstimate,
    GenerationError,
    GenerationRequest,
    JobHandle,
    JobState,
    JobStatus,
    RetryLater,
    file_sha256,
)
from ._common import ClientProvider, ImageInfo, ImageRules, ModelSpec, image_sha256
from ._http import Response

PLACEHOLDERS = (
    "image",
    "end_image",
    "prompt",
    "negative_prompt",
    "seed",
    "frames",
    "fps",
    "width",
    "height",
    "duration",
    "take",
    "shot",
)
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_REFERENCE = re.compile(r"reference_([1-9][0-9]?)")
IMAGE_PLACEHOLDERS = ("prompt", "negative_prompt", "seed", "width", "height", "take", "shot", "image")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".m4v")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
IMAGE_MODEL = "image_workflow"
WORKFLOWS = Path(__file__).with_name("comfyui_workflows")
DEFAULT_IMAGE_WORKFLOWS = (WORKFLOWS / "image_text.json", WORKFLOWS / "image_references.json")
MAX_SECONDS = 600.0


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_placeholders(v) for v in value)) if value else set()
    return set()


def fill(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with every placeholder replaced: typed when the whole string is one, else as text."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return values[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), value)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value


def load_workflow(path: str | Path | None, shot: str | None = None, kind: str = VIDEO) -> tuple[dict, set[str]]:
    """Read an API-format workflow and its placeholders; every problem is :class:`BadRequest` naming the
    file and the fix. ``kind`` ``"image"``: a still's workflow (its placeholders, an image output)."""
    if kind == IMAGE:
        return _load_image_workflow(Path(path), shot)
    if not path:
        raise BadRequest(
            "comfyui: no workflow: set the provider option workflow=<file exported with "
            "Workflow ▸ Export (API)>",
            shot=shot,
        )
    path = Path(path)
    if not path.is_file():
        raise BadRequest(
            "comfyui: the workflow file does not exist: export it from ComfyUI with Workflow ▸ Export (API)",
            file=path,
            shot=shot,
        )
    try:
        workflow = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadRequest(
            f"comfyui: the workflow is not JSON: {exc.msg}", file=path, line=exc.lineno, shot=shot
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"comfyui: the workflow cannot be read: {exc}", file=path, shot=shot) from None
    if isinstance(workflow, dict) and "nodes" in workflow and "links" in workflow:
        raise BadRequest(
            "comfyui: this is a UI workflow, not the API format: export it with Workflow ▸ Export (API)",
            file=path,
            shot=shot,
        )
    if (
        not isinstance(workflow, dict)
        or not workflow
        or not all(isinstance(n, dict) and "class_type" in n for n in workflow.values())
    ):
        raise BadRequest(
            "comfyui: the workflow is not in API format ({node id: {class_type, inputs}}): "
            "export it with Workflow ▸ Export (API)",
            file=path,
            shot=shot,
        )
    found = _placeholders(workflow)
    unknown = sorted(found - set(PLACEHOLDERS))
    if unknown:
        raise BadRequest(
            f"comfyui: unknown placeholder {{{{{unknown[0]}}}}} in the workflow (known: "
            f"{', '.join('{{' + p + '}}' for p in PLACEHOLDERS)})",
            file=path,
            shot=shot,
        )
    if "image" not in found:
        raise BadRequest(
            'comfyui: the workflow has no "{{image}}" placeholder, so the board would be ignored: '
            'set the image input of its LoadImage node to "{{image}}"',
            file=path,
            shot=shot,
        )
    return workflow, found


def _read_api_workflow(path: Path, shot: str | None, what: str) -> dict:
    """The JSON of an API-format workflow file; :class:`BadRequest` naming the file otherwise."""
    if not path.is_file():
        raise BadRequest(f"comfyui: the {what} file does not exist: export it from ComfyUI with Workflow ▸ "
                         "Export (API)", file=path, shot=shot)
    try:
        workflow = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BadRequest(f"comfyui: the {what} is not JSON: {exc.msg}", file=path, line=exc.lineno,
                         shot=shot) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"comfyui: the {what} cannot be read: {exc}", file=path, shot=shot) from None
    if isinstance(workflow, dict) and "nodes" in workflow and "links" in workflow:
        raise BadRequest(f"comfyui: the {what} is a UI workflow, not the API format: export it with Workflow ▸ "
                         "Export (API)", file=path, shot=shot)
    if (not isinstance(workflow, dict) or not workflow
            or not all(isinstance(n, dict) and "class_type" in n for n in workflow.values())):
        raise BadRequest(f"comfyui: the {what} is not in API format ({{node id: {{class_type, inputs}}}}): "
                         "export it with Workflow ▸ Export (API)", file=path, shot=shot)
    return workflow


def saves_image(class_type: str) -> bool:
    """Whether a node class writes an image to ComfyUI's output folder (``SaveImage`` and the custom nodes
    named after it, ``Image Save``)."""
    return class_type.startswith("SaveImage") or class_type == "Image Save"


_CHECKED: dict[tuple, tuple[dict, set[str]]] = {}
"""Image workflows read and checked: (path, inode, size, mtime, ctime) → (the workflow, its placeholders)."""


def _load_image_workflow(path: Path, shot: str | None) -> tuple[dict, set[str]]:
    """The image workflow at ``path`` and its placeholders, checked once while the file is unchanged. The
    workflow returned is shared and only ever read: :func:`prune_references` and :func:`fill` build new ones."""
    try:
        stat = path.stat()
        key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if key in _CHECKED:
            workflow, found = _CHECKED[key]
            return workflow, set(found)
    except (OSError, ValueError):
        key = None
    workflow = _read_api_workflow(path, shot, "image workflow")
    found = _placeholders(workflow)
    unknown = sorted(p for p in found - set(IMAGE_PLACEHOLDERS) if not _REFERENCE.fullmatch(p))
    if unknown:
        known = ", ".join("{{" + p + "}}" for p in (*IMAGE_PLACEHOLDERS, "reference_1", "reference_2"))
        raise BadRequest(f"comfyui: unknown placeholder {{{{{unknown[0]}}}}} in the image workflow (known: "
                         f"{known} …)", file=path, shot=shot)
    if not any(saves_image(str(node["class_type"])) for node in workflow.values()):
        raise BadRequest("comfyui: the image workflow saves no image, so the still would be lost: end it with a "
                         "SaveImage node", file=path, shot=shot)
    if key is not None:
        if len(_CHECKED) > 64:
            _CHECKED.clear()
        _CHECKED[key] = (workflow, set(found))
    return workflow, found


def reference_slots(found: set[str]) -> int:
    """How many ``{{reference_N}}`` placeholders (1 … N, without gaps) an image workflow has."""
    numbers = {int(m.group(1)) for p in found if (m := _REFERENCE.fullmatch(p))}
    count = 0
    while count + 1 in numbers:
        count += 1
    return count


def prune_references(workflow: dict, given: int, image: bool = True) -> dict:
    """``workflow`` without the LoadImage nodes of ``{{reference_N}}`` for N > ``given`` (and of ``{{image}}``
    when there is no image to edit, ``image`` false), and without every input wired to one of them."""
    dropped = set()
    for node_id, node in workflow.items():
        value = node.get("inputs", {}).get("image") if node.get("class_type") == "LoadImage" else None
        whole = _PLACEHOLDER.fullmatch(value.strip()) if isinstance(value, str) else None
        number = _REFERENCE.fullmatch(whole.group(1)) if whole else None
        if (number and int(number.group(1)) > given) or (whole and whole.group(1) == "image" and not image):
            dropped.add(str(node_id))
    if not dropped:
        return workflow
    kept = {}
    for node_id, node in workflow.items():
        if str(node_id) in dropped:
            continue
        inputs = {k: v for k, v in (node.get("inputs") or {}).items()
                  if not (isinstance(v, list) and len(v) == 2 and str(v[0]) in dropped)}
        kept[node_id] = {**node, "inputs": inputs}
    return kept


class ComfyUIProvider(ClientProvider):
    """A ComfyUI server running the user's image-to-video workflow."""

    name = "comfyui"
    finds_by_client_id = True  # client id lookup (see the module doc)
    env_keys = ()
    default_base_url = "http://127.0.0.1:8188"
    models: ClassVar[dict[str, ModelSpec]] = {}
    default_model_name = "workflow"
    image_rules = ImageRules(min_px=16, max_px=16384, aspect=(0.1, 10.0), max_bytes=200 * 1024 * 1024)
    default_poll_interval = 1.0
    typical_duration = 60.0  # s: a short image-to-video workflow on one GPU (estimate; learnt)
    typical_image_duration = 20.0  # s: a FLUX.1 Kontext [dev] still of 20 steps on one GPU (estimate)
    default_concurrency = 1  # one GPU runs one workflow at a time
    queues_overflow = True  # the next waits in ComfyUI's queue, so the GPU never idles between jobs
    local_server = True  # on the user's machine or network: its /view may be at any address
    extra_options = ("workflow", "image_workflow", "client_id")
    billing = "your own ComfyUI server: nothing is billed"

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.workflow_path = self.options.get("workflow")
        self.image_workflow_path = self.options.get("image_workflow")
        self.client_id = str(self.options.get("client_id") or "shotreel")

    def unreachable_hint(self) -> str:
        return ("is ComfyUI running? start it (python main.py --listen) or point SHOTREEL_COMFYUI_BASE_URL at "
                "the address it prints")

    def fingerprint(self, model: str) -> str:
        """The workflow file's content (and the other options): a fixed workflow makes a new request. For the
        still model, the image workflow's content (or the shipped ones')."""
        digest = hashlib.sha256(super().fingerprint(model).encode())
        if model == IMAGE_MODEL:
            files = [self.image_workflow_path] if self.image_workflow_path else list(DEFAULT_IMAGE_WORKFLOWS)
        else:
            files = [self.workflow_path] if self.workflow_path else []
        for path in files:
            try:
                digest.update(file_sha256(Path(path)).encode())  # remembered while the file is unchanged
            except OSError:
                digest.update(str(path).encode())
        return digest.hexdigest()[:16]

    # -- stills -----------------------------------------------------------------------------------
    def image_models(self) -> tuple[str, ...]:
        """One still "model": the image workflow (the option ``image_workflow``, else the shipped ones)."""
        return (IMAGE_MODEL,)

    def no_reference_fix(self) -> str:
        return (f"give an image workflow whose LoadImage nodes read {{{{reference_1}}}} … (option image_workflow; "
                f"now {self.image_workflow_path})")

    def image_workflow(self, references: int, shot: str | None = None) -> tuple[Path, dict, set[str]]:
        """The image workflow for a still with ``references`` input images: (file, workflow, placeholders)."""
        if self.image_workflow_path:
            path = Path(self.image_workflow_path)
        else:
            path = DEFAULT_IMAGE_WORKFLOWS[1 if references else 0]
        workflow, found = load_workflow(path, shot, IMAGE)
        return path, workflow, found

    def image_spec(self, shot: str | None = None) -> ModelSpec:
        """The still model as the image workflow defines it: its reference slots (plus ``{{image}}``)."""
        _, _, found = self.image_workflow(1, shot)
        slots = reference_slots(found) + (1 if "image" in found else 0)
        return ModelSpec(IMAGE_MODEL, min_s=0.0, max_s=0.0, seed="seed" in found, max_prompt=100_000,
                         needs_image=False, kind=IMAGE, max_refs=slots)

    # -- no key, no cost, one "model" = the workflow ------------------------------------------------
    def _accepts_any_model(self) -> bool:
        return True

    def require_key(self, shot: str | None = None) -> None:
        """ComfyUI needs no key."""

    def spec(self, model: str | None = None, shot: str | None = None) -> ModelSpec:
        if model == IMAGE_MODEL:
            return self.image_spec(shot)
        found = load_workflow(self.workflow_path, shot)[1] if self.workflow_path else {"image"}
        return ModelSpec(
            "workflow",
            min_s=0.0,
            max_s=MAX_SECONDS,
            end_frame="end_image" in found,
            seed="seed" in found,
            max_prompt=100_000,
            price_per_s=0.0,
        )

    def capabilities(self, model: str) -> Capabilities:
        if model == IMAGE_MODEL:
            return super().capabilities(model)
        spec = self.spec(model)
        rules = self.image_rules
        return Capabilities(
            supports_end_frame=spec.end_frame,
            supports_seed=spec.seed,
            durations_s=(),
            max_duration_s=MAX_SECONDS,
            max_prompt_chars=spec.max_prompt,
            aspect_range=rules.aspect,
            min_image_px=rules.min_px,
            max_image_bytes=rules.max_bytes,
            image_formats=rules.formats,
            max_concurrency=self.concurrency,
        )

    def clip_seconds(self, request: GenerationRequest, spec: ModelSpec | None = None) -> float:
        """The shot's own length: the workflow makes ``{{frames}}`` frames at ``{{fps}}``."""
        seconds = float(Fraction(request.duration_frames) / request.fps)
        if seconds > MAX_SECONDS:
            raise BadRequest(
                f"comfyui: the shot lasts {seconds:g} s; split it (at most {MAX_SECONDS:g} s)",
                shot=request.shot_id,
            )
        return seconds

    def validate(self, request: GenerationRequest) -> None:
        if not request.is_image:
            load_workflow(self.workflow_path, request.shot_id)
        super().validate(request)

    def validate_more(self, request: GenerationRequest, spec: ModelSpec) -> None:
        if not request.is_image:
            return
        path, _, found = self.image_workflow(len(self.input_paths(request)), request.shot_id)
        slots = reference_slots(found)
        references = len(request.reference_images) + (1 if request.start_image and "image" not in found else 0)
        if references > slots:
            raise BadRequest(f"comfyui: the image workflow has {slots} reference slot{'s' if slots != 1 else ''} "
                             f"({{{{reference_1}}}} …) but the request has {references} references: approve fewer "
                             "views or add LoadImage nodes", file=path, shot=request.shot_id)

    def cost_estimate(self, request: GenerationRequest) -> CostEstimate:
        if request.is_image:
            return CostEstimate(0.0, "1 still on your own ComfyUI server: nothing is billed = $0.00")
        seconds = self.clip_seconds(request)
        return CostEstimate(0.0, f"{round(seconds, 2):g} s shot on your own ComfyUI server: nothing is billed = $0.00")

    # -- submit ---------------------------------------------------------------------------------
    @staticmethod
    def seed_for(request: GenerationRequest) -> int:
        """The request's seed, or one derived from the take id (stable across retries)."""
        if request.seed is not None:
            return int(request.seed)
        return int(hashlib.sha256(request.take_id.encode()).hexdigest()[:8], 16)

    def upload(self, info: ImageInfo, name: str, shot: str) -> str:
        """``POST /upload/image`` and return the name a LoadImage node uses."""
        with open(info.path, "rb") as handle:
            response = self.http.request(
                "POST",
                f"{self.base_url}/upload/image",
                shot=shot,
                what="upload",
                files={"image": (name, handle, info.mime)},
                data={"type": "input", "overwrite": "true"},
            )
        data = self.http.read_json(response, shot=shot, what="upload")
        subfolder = data.get("subfolder") or ""
        return f"{subfolder}/{data['name']}" if subfolder else str(data["name"])

    def submit(self, request: GenerationRequest) -> JobHandle:
        if request.is_image:
            return self.submit_image(request)
        self.validate(request)
        shot = request.shot_id
        workflow, found = load_workflow(self.workflow_path, shot)
        start, end = self.images(request)
        fps = request.fps
        values: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "seed": self.seed_for(request),
            "frames": request.duration_frames,
            "fps": int(fps) if fps.denominator == 1 else float(fps),
            "width": request.width,
            "height": request.height,
            "duration": self.clip_seconds(request),
            "take": request.take_id,
            "shot": shot,
            "image": "",
            "end_image": "",
        }
        values["image"] = self.upload(start, upload_name(start), shot)
        if end is not None:
            values["end_image"] = self.upload(end, upload_name(end), shot)
        prompt_id, data = self.queue(fill(workflow, values), request, self.workflow_path)
        return JobHandle(
            prompt_id,
            {
                "shot": shot,
                "take": request.take_id,
                "seed": values["seed"] if "seed" in found else None,  # a seed the workflow never got is none
                "number": data.get("number"),
                "workflow": str(self.workflow_path),
            },
        )

    def submit_image(self, request: GenerationRequest) -> JobHandle:
        """Upload the still's input images, fill the image workflow and queue it."""
        self.validate(request)
        shot = request.shot_id
        spec = self.request_spec(request)
        inputs = self.image_inputs(request, spec)
        path, workflow, found = self.image_workflow(len(inputs), shot)
        names = [self.upload(info, upload_name(info), shot) for info in inputs]
        values: dict[str, Any] = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt,
            "seed": self.seed_for(request),
            "width": request.width,
            "height": request.height,
            "take": request.take_id,
            "shot": shot,
            "image": "",
        }
        if request.start_image is not None and "image" in found:
            values["image"] = names.pop(0)
        for n in range(1, reference_slots(found) + 1):
            values[f"reference_{n}"] = names[n - 1] if n <= len(names) else ""
        pruned = prune_references(workflow, len(names), image=bool(values["image"]))
        prompt_id, data = self.queue(fill(pruned, values), request, path)
        return self.image_handle(prompt_id, request, spec, seed=values["seed"] if "seed" in found else None,
                                 number=data.get("number"), workflow=str(path),
                                 inputs=[str(info.path) for info in inputs])

    def queue(self, prompt: dict, request: GenerationRequest, workflow: Any = None) -> tuple[str, dict]:
        """``POST /prompt`` with ``prompt_id`` = the request's client id; (prompt id, ComfyUI's answer)."""
        shot = request.shot_id
        prompt_id = request.client_id or str(uuid.uuid4())
        body = {
            "prompt": prompt,
            "client_id": self.client_id,
            "prompt_id": prompt_id,
            "extra_data": {"shotreel": {"take": request.take_id, "shot": shot, "client_id": prompt_id,
                                        "kind": request.kind}},
        }
        response = self.http.request(
            "POST",
            f"{self.base_url}/prompt",
            json=body,
            shot=shot,
            what="submit",
            create=True,
            classify=lambda *args: self._classify(*args, workflow=workflow),
        )
        data = self.http.read_json(response, shot=shot, what="submit", create=True)
        return str(data.get("prompt_id") or prompt_id), data

    def _classify(
        self, response: Response, body: Any, text: str, what: str, shot: str | None, workflow: Any = None
    ) -> GenerationError | None:
        if response.status_code != 400 or not isinstance(body, dict):
            return None
        error = body.get("error") or {}
        parts = [str(error.get("message", "")) if isinstance(error, dict) else str(error)]
        nodes = body.get("node_errors") or {}
        for node_id, node in nodes.items() if isinstance(nodes, dict) else []:
            for item in node.get("errors", [])[:1]:
                parts.append(
                    f"node {node_id} ({node.get('class_type')}): {item.get('message')}: {item.get('details')}"
                )
        return self.http.error(
            BadRequest,
            f"{what}: ComfyUI refused the workflow {workflow}: {'; '.join(p for p in parts if p)}",
            shot,
        )

    # -- follow ---------------------------------------------------------------------------------
    def _history(self, prompt_id: str, shot: str | None) -> dict | None:
        response = self.http.request("GET", f"{self.base_url}/history/{prompt_id}", shot=shot, what="poll")
        data = self.http.read_json(response, shot=shot, what="poll")
        entry = data.get(prompt_id) if isinstance(data, dict) else None
        return entry if isinstance(entry, dict) else None

    def _queue(self, prompt_id: str, shot: str | None) -> str | None:
        """``running``, ``pending`` or None from ``GET /queue``."""
        response = self.http.request("GET", f"{self.base_url}/queue", shot=shot, what="poll")
        data = self.http.read_json(response, shot=shot, what="poll")
        for key, label in (("queue_running", "running"), ("queue_pending", "pending")):
            if any(
                isinstance(item, list) and len(item) > 1 and item[1] == prompt_id
                for item in data.get(key, [])
            ):
                return label
        return None

    def poll(self, handle: JobHandle) -> JobStatus:
        shot = handle.data.get("shot")
        entry = self._history(handle.job_id, shot)
        if entry is None:
            where = self._queue(handle.job_id, shot)
            if where == "running":
                return JobStatus(JobState.RUNNING, None, "running")
            if where == "pending":
                return JobStatus(JobState.QUEUED, None, "pending")
            entry = self._history(handle.job_id, shot)  # it may have finished in between
            if entry is None:
                failure = self.http.error(
                    RetryLater,
                    f"ComfyUI has no record of job {handle.job_id} (was the "
                    f"server restarted?); generate the take again",
                    shot,
                )
                return JobStatus(JobState.FAILED, None, "missing", failure=failure)
        return self.status(handle.job_id, entry, shot, handle.data.get("kind"), handle.data.get("workflow"))

    def status(self, prompt_id: str, entry: dict, shot: str | None, kind: str | None = None,
               workflow: str | None = None) -> JobStatus:
        """A history entry as a :class:`JobStatus`: a take must have saved a video, a still an image (the kind
        the job was queued as, ``extra_data.shotreel.kind``, when the handle does not say)."""
        kind = kind or _queued_kind(entry)
        status = entry.get("status") or {}
        raw = str(status.get("status_str", ""))
        messages = {m[0]: m[1] for m in status.get("messages", []) if isinstance(m, list) and len(m) == 2}
        if "execution_interrupted" in messages:
            return JobStatus(JobState.CANCELED, None, "interrupted", raw=entry)
        if raw == "error" or "execution_error" in messages:
            info = messages.get("execution_error") or {}
            failure = self.http.error(
                GenerationError,
                f"job {prompt_id}: node {info.get('node_id')} "
                f"({info.get('node_type')}) failed: "
                f"{info.get('exception_message', 'unknown error')}",
                shot,
            )
            return JobStatus(JobState.FAILED, None, raw or "error", failure=failure, raw=entry)
        urls = self.media_urls(entry, IMAGE_SUFFIXES if kind == IMAGE else VIDEO_SUFFIXES)
        if urls:
            return JobStatus(JobState.SUCCEEDED, 1.0, raw, result_urls=urls, raw=entry)
        if kind == IMAGE:
            failure = self.http.error(
                BadRequest,
                f"job {prompt_id} finished without saving an image: end the image workflow "
                f"{workflow or self.image_workflow_path or 'in use'} with a SaveImage node",
                shot,
            )
            return JobStatus(JobState.FAILED, None, raw, failure=failure, raw=entry)
        failure = self.http.error(
            BadRequest,
            f"job {prompt_id} finished without saving a video: end the workflow "
            f"{workflow or self.workflow_path} with a SaveVideo (or VHS_VideoCombine) node",
            shot,
        )
        return JobStatus(JobState.FAILED, None, raw, failure=failure, raw=entry)

    def video_urls(self, entry: dict) -> list[str]:
        """``/view`` URLs of every video the job saved, in node order."""
        return self.media_urls(entry, VIDEO_SUFFIXES)

    def media_urls(self, entry: dict, suffixes: tuple[str, ...]) -> list[str]:
        """``/view`` URLs of every output file of the job whose name ends with one of ``suffixes``."""
        urls = []
        outputs = entry.get("outputs") or {}
        for node_id in sorted(outputs, key=lambda n: (len(str(n)), str(n))):
            for items in (outputs[node_id] or {}).values():
                for item in items if isinstance(items, list) else []:
                    if (
                        isinstance(item, dict)
                        and str(item.get("filename", "")).lower().endswith(suffixes)
                        and item.get("type", "output") == "output"
                    ):
                        query = urlencode(
                            {
                                "filename": item["filename"],
                                "subfolder": item.get("subfolder", ""),
                                "type": "output",
                            }
                        )
                        urls.append(f"{self.base_url}/view?{query}")
        return urls

    def find_by_client_id(self, client_id: str) -> JobHandle | None:
        """The job queued with ``prompt_id`` = ``client_id`` (finished, running or waiting), or None."""
        entry = self._history(client_id, None)
        if entry is None and self._queue(client_id, None) is None:
            return None
        if entry is not None and _queued_kind(entry) == IMAGE:
            return JobHandle(client_id, {"client_id": client_id, "kind": IMAGE})
        return JobHandle(client_id, {"client_id": client_id, "workflow": str(self.workflow_path)})

    def cancel(self, handle: JobHandle) -> None:
        """Remove the job from the queue, or interrupt it if it is running."""
        shot = handle.data.get("shot")
        where = self._queue(handle.job_id, shot)
        if where == "pending":
            self.http.request(
                "POST", f"{self.base_url}/queue", json={"delete": [handle.job_id]}, shot=shot, what="cancel"
            )
        elif where == "running":
            self.http.request(
                "POST",
                f"{self.base_url}/interrupt",
                json={"prompt_id": handle.job_id},
                shot=shot,
                what="cancel",
            )


def _queued_kind(entry: dict) -> str:
    """The kind (video or image) a history entry was queued as by shotreel (``extra_data.shotreel.kind``)."""
    prompt = entry.get("prompt")
    extra = prompt[3] if isinstance(prompt, list) and len(prompt) > 3 and isinstance(prompt[3], dict) else {}
    kind = (extra.get("shotreel") or {}).get("kind") if isinstance(extra.get("shotreel"), dict) else None
    return IMAGE if kind == IMAGE else VIDEO


def _ext(info: ImageInfo) -> str:
    return "jpg" if info.format == "jpeg" else info.format


def upload_name(info: ImageInfo) -> str:
    """The name a board is uploaded under: ``shotreel_<sha256[:16]>.<ext>``, by content, so boards of
    different shots never overwrite each other's input while both are queued (same bytes, same name)."""
    return f"shotreel_{image_sha256(info)[:16]}.{_ext(info)}"


def create(**options: Any) -> ComfyUIProvider:
    """A ComfyUI client; options: base_url (default http://127.0.0.1:8188), workflow (API-format JSON with
    placeholders), client_id, poll_interval, timeout, max_concurrency."""
    return ComfyUIProvider(**options)
