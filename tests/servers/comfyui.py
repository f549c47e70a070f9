"""A ComfyUI server as a fake (reference §2.8), under ``/comfy``; one queue, one job at a time.

``POST /upload/image`` (multipart ``image``, ``type``, ``subfolder``, ``overwrite``) → ``{name,
subfolder, type}``; ``POST /prompt`` ``{prompt, client_id, prompt_id?, extra_data?}`` → ``{prompt_id,
number, node_errors}`` or 400 ``{error, node_errors}`` (unknown node class, no output node, a LoadImage
of a file never uploaded, a placeholder left in a number input); ``GET /history/{id}`` (``{}`` until
done, then ``{id: {prompt, outputs, status: {status_str, completed, messages}, meta}}``);
``GET /queue``; ``POST /queue`` ``{delete: [...]}``; ``POST /interrupt``; ``GET /view?filename=…``.
The clip follows the workflow's inputs (``frame_rate``/``fps``, ``length``/``frames``/``num_frames``,
``width``/``height``). Resubmitting a known ``prompt_id`` queues it again (what a client must avoid).
No auth.

A workflow whose output node is ``SaveImage`` makes a still: a PNG of the ``width``×``height`` of its
``EmptyLatentImage``/``EmptySD3LatentImage`` (1024×1024 without one), listed in ``/history`` as
``{"images": [{filename, subfolder, type: "output"}]}`` (the ``filename_prefix``'s folders become the
subfolder, as ComfyUI's SaveImage does) and served by ``/view``. Each job records in
``job.extra["references"]`` what its LoadImage nodes loaded: ``{node, name, size, format, bytes}``.
"""

from __future__ import annotations

import email.parser
import email.policy
import time
import uuid
from fractions import Fraction

from . import media
from .core import FakeServer, Job, Reply, Request

NAME = "comfyui"
PREFIX = "/comfy"
BASE_PATH = PREFIX
EXPIRED_STATUS = 404
DEFAULTS: dict = {}
SERVER_DEFAULTS = {"max_concurrent": 1}

OUTPUT_NODES = {
    "SaveVideo": "images",
    "SaveWEBM": "images",
    "SaveAnimatedWEBP": "images",
    "VHS_VideoCombine": "gifs",
    "SaveImage": "images",
}
IMAGE_OUTPUTS = {"SaveImage"}
KNOWN_NODES = {
    "LoadImage",
    "CLIPTextEncode",
    "CheckpointLoaderSimple",
    "KSampler",
    "VAEDecode",
    "CreateVideo",
    "WanImageToVideo",
    "EmptyLatentImage",
    "CLIPLoader",
    "UNETLoader",
    "VAELoader",
    "ImageScale",
    "LTXVImgToVideo",
    "LTXVConditioning",
    "SamplerCustom",
    "PrimitiveNode",
    "DualCLIPLoader",
    "FluxGuidance",
    "EmptySD3LatentImage",
    "ImageStitch",
    "FluxKontextImageScale",
    "VAEEncode",
    "ReferenceLatent",
    "ConditioningZeroOut",
    *OUTPUT_NODES,
}
NUMBER_INPUTS = {
    "seed",
    "noise_seed",
    "length",
    "frames",
    "num_frames",
    "width",
    "height",
    "frame_rate",
    "fps",
    "steps",
    "batch_size",
}


def handle(server: FakeServer, request: Request) -> Reply:
    """Answer one request under ``/comfy`` (every route also answers under ``/api``)."""
    path = request.path[4:] if request.path.startswith("/api/") else request.path
    state = server.state.setdefault("comfy", {"inputs": {}, "outputs": {}, "number": 0})
    if request.method == "POST" and path == "/upload/image":
        return _upload(state, request)
    if request.method == "POST" and path == "/prompt":
        return _prompt(server, state, request)
    if request.method == "GET" and path.startswith("/history"):
        wanted = path[len("/history") :].strip("/")

        def finished(j: Job | None) -> bool:
            return j is not None and j.phase() in ("done", "canceled") and not j.extra.get("deleted")

        if wanted:
            job = server.job(wanted)
            return Reply(200, {wanted: _history(server, state, job)} if finished(job) else {})
        return Reply(200, {j.take: _history(server, state, j) for j in server.jobs.values() if finished(j)})
    if request.method == "GET" and path == "/queue":
        now = time.monotonic()

        def entry(j: Job) -> list:
            return [
                j.extra["number"],
                j.id,
                j.body["prompt"],
                j.body.get("extra_data", {}),
                j.extra["outputs"],
            ]

        jobs = sorted(server.jobs.values(), key=lambda j: j.extra["number"])
        return Reply(
            200,
            {
                "queue_running": [entry(j) for j in jobs if j.phase(now) == "running"],
                "queue_pending": [entry(j) for j in jobs if j.phase(now) == "queued"],
            },
        )
    if request.method == "POST" and path == "/queue":
        body = request.json() or {}
        for job_id in body.get("delete", []):
            job = server.jobs.get(job_id)
            if job is not None and job.phase() == "queued":
                job.canceled_at = time.monotonic()
                job.extra["deleted"] = True
        return Reply(200, raw=b"", content_type="text/plain")
    if request.method == "POST" and path == "/interrupt":
        body = request.json() or {}
        now = time.monotonic()
        for job in server.jobs.values():
            if job.phase(now) == "running" and body.get("prompt_id") in (None, job.id):
                job.canceled_at = now
        return Reply(200, raw=b"", content_type="text/plain")
    if request.method == "GET" and path == "/view":
        key = (request.query.get("subfolder", ""), request.query.get("filename", ""))
        job = state["outputs"].get(key)
        if job is None or request.query.get("type", "output") != "output":
            return Reply(404, raw=b"404: Not Found", content_type="text/plain")
        return Reply(200, raw=server.result(job), content_type=server.result_type(job))
    if request.method == "GET" and path == "/system_stats":
        return Reply(200, {"system": {"comfyui_version": "0.3.60", "python_version": "3.12"}, "devices": []})
    return Reply(404, raw=b"404: Not Found", content_type="text/plain")


def _upload(state: dict, request: Request) -> Reply:
    content_type = request.headers.get("Content-Type", "")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + request.body
    )
    fields: dict[str, object] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        fields[name] = (filename, part.get_payload(decode=True)) if filename else part.get_content().strip()
    image = fields.get("image")
    if not isinstance(image, tuple) or not image[0]:
        return Reply(400, raw=b"", content_type="text/plain")
    subfolder = str(fields.get("subfolder", "") or "")
    name = image[0]
    key = f"{subfolder}/{name}" if subfolder else name
    if key in state["inputs"] and str(fields.get("overwrite", "")).lower() != "true":
        stem, _, ext = name.rpartition(".")
        n = 1
        while f"{stem} ({n}).{ext}" in state["inputs"]:
            n += 1
        name = f"{stem} ({n}).{ext}"
        key = f"{subfolder}/{name}" if subfolder else name
    state["inputs"][key] = image[1]
    return Reply(
        200, {"name": name, "subfolder": subfolder, "type": str(fields.get("type", "input") or "input")}
    )


def _node_error(node_id: str, node: dict, kind: str, message: str, details: str) -> dict:
    return {
        node_id: {
            "errors": [{"type": kind, "message": message, "details": details, "extra_info": {}}],
            "dependent_outputs": [],
            "class_type": node.get("class_type"),
        }
    }


def _check(state: dict, workflow: object) -> tuple[dict | None, dict]:
    """(error, node_errors) for an API-format workflow, (None, {}) when it would run."""
    if not isinstance(workflow, dict) or not workflow:
        return {
            "type": "invalid_prompt",
            "message": "Invalid prompt: prompt must be a dict",
            "details": "",
            "extra_info": {},
        }, {}
    node_errors: dict = {}
    for node_id, node in workflow.items():
        if not isinstance(node, dict) or "class_type" not in node:
            return {
                "type": "invalid_prompt",
                "message": f"Cannot execute because a node is missing the "
                f"class_type property.: Node ID '#{node_id}'",
                "details": "",
                "extra_info": {},
            }, {}
        if node["class_type"] not in KNOWN_NODES:
            return {
                "type": "invalid_prompt",
                "message": f"Cannot execute because node {node['class_type']} "
                f"does not exist.: Node ID '#{node_id}'",
                "details": "",
                "extra_info": {},
            }, {}
        inputs = node.get("inputs", {})
        if node["class_type"] == "LoadImage" and inputs.get("image") not in state["inputs"]:
            node_errors.update(
                _node_error(
                    node_id,
                    node,
                    "value_not_in_list",
                    "Value not in list",
                    f"image: '{inputs.get('image')}' not in {sorted(state['inputs'])}",
                )
            )
        for name, value in inputs.items():
            if name in NUMBER_INPUTS and isinstance(value, str):
                node_errors.update(
                    _node_error(
                        node_id,
                        node,
                        "invalid_input_type",
                        "Failed to convert an input value to a number",
                        f"{name}, {value}",
                    )
                )
    if not any(node["class_type"] in OUTPUT_NODES for node in workflow.values()):
        return {
            "type": "prompt_no_outputs",
            "message": "Prompt has no outputs",
            "details": "",
            "extra_info": {},
        }, []
    if node_errors:
        return {
            "type": "prompt_outputs_failed_validation",
            "message": "Prompt outputs failed validation",
            "details": "",
            "extra_info": {},
        }, node_errors
    return None, {}


def _texts(workflow: dict) -> list[str]:
    return [v for node in workflow.values() for v in node.get("inputs", {}).values() if isinstance(v, str)]


def _clip_inputs(workflow: dict) -> dict:
    found: dict = {}
    for node in workflow.values():
        inputs = node.get("inputs", {})
        for name in ("frame_rate", "fps"):
            if isinstance(inputs.get(name), (int, float)):
                found["fps"] = Fraction(inputs[name]).limit_denominator(1001)
        for name in ("length", "frames", "num_frames"):
            if isinstance(inputs.get(name), int):
                found["frames"] = inputs[name]
        if isinstance(inputs.get("width"), int) and isinstance(inputs.get("height"), int):
            found["size"] = (inputs["width"] - inputs["width"] % 2, inputs["height"] - inputs["height"] % 2)
    return found


def _still_size(workflow: dict) -> tuple[int, int]:
    for node in workflow.values():
        inputs = node.get("inputs", {})
        if (node["class_type"] in ("EmptyLatentImage", "EmptySD3LatentImage")
                and isinstance(inputs.get("width"), int) and isinstance(inputs.get("height"), int)):
            return inputs["width"], inputs["height"]
    return 1024, 1024


def _prompt(server: FakeServer, state: dict, request: Request) -> Reply:
    body = request.json()
    if not isinstance(body, dict) or "prompt" not in body:
        return Reply(
            400,
            {
                "error": {
                    "type": "no_prompt",
                    "message": "No prompt provided",
                    "details": "",
                    "extra_info": {},
                },
                "node_errors": [],
            },
        )
    workflow = body["prompt"]
    error, node_errors = _check(state, workflow)
    if error is not None:
        return Reply(400, {"error": error, "node_errors": node_errors})
    scenario = server.scenario(request, *_texts(workflow))
    prompt_id = str(body.get("prompt_id") or uuid.uuid4())
    state["number"] += 1
    outputs = [nid for nid, node in workflow.items() if node["class_type"] in OUTPUT_NODES]
    old = server.jobs.get(prompt_id)
    job_id = prompt_id if old is None else f"{prompt_id}#{state['number']}"  # keep both records
    job = server.new_job(
        request,
        key=prompt_id,
        take=prompt_id,
        scenario=scenario,
        body=body,
        prompt=" ".join(_texts(workflow)),
        job_id=job_id,
        number=state["number"],
        outputs=outputs,
        **_clip_inputs(workflow),
    )
    if any(workflow[n]["class_type"] in IMAGE_OUTPUTS for n in outputs):
        job.extra["image"] = (*_still_size(workflow), "png")
    job.extra["references"] = [
        {"node": nid, "name": node["inputs"]["image"], **media.image_info(state["inputs"][node["inputs"]["image"]])}
        for nid, node in workflow.items()
        if node["class_type"] == "LoadImage"
    ]
    if old is not None:  # the fake re-runs a duplicate prompt_id; history keeps the newest under the id
        server.jobs[prompt_id] = job
    return Reply(200, {"prompt_id": prompt_id, "number": state["number"], "node_errors": {}}, job=job)


def _history(server: FakeServer, state: dict, job: Job) -> dict:
    ts = int(time.time() * 1000)
    messages: list = [
        ["execution_start", {"prompt_id": job.take, "timestamp": ts}],
        ["execution_cached", {"nodes": [], "prompt_id": job.take, "timestamp": ts}],
    ]
    outputs: dict = {}
    if job.phase() == "canceled":
        messages.append(
            [
                "execution_interrupted",
                {
                    "prompt_id": job.take,
                    "node_id": "3",
                    "node_type": "KSampler",
                    "executed": [],
                    "timestamp": ts,
                },
            ]
        )
        status = {"status_str": "error", "completed": False, "messages": messages}
    elif job.outcome == "failed":
        messages.append(
            [
                "execution_error",
                {
                    "prompt_id": job.take,
                    "node_id": "3",
                    "node_type": "KSampler",
                    "executed": [],
                    "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB",
                    "exception_type": "torch.OutOfMemoryError",
                    "traceback": ["..."],
                    "current_inputs": {},
                    "current_outputs": {},
                    "timestamp": ts,
                },
            ]
        )
        status = {"status_str": "error", "completed": False, "messages": messages}
    else:
        messages.append(["execution_success", {"prompt_id": job.take, "timestamp": ts}])
        status = {"status_str": "success", "completed": True, "messages": messages}
        if job.outcome != "no_media":
            for node_id in job.extra["outputs"]:
                node = job.body["prompt"][node_id]
                if node["class_type"] in IMAGE_OUTPUTS:
                    folder, _, stem = str(node.get("inputs", {}).get("filename_prefix", "ComfyUI")).rpartition("/")
                    filename = f"{stem}_{job.extra['number']:05d}_.png"
                    state["outputs"][(folder, filename)] = job
                    outputs[node_id] = {"images": [{"filename": filename, "subfolder": folder, "type": "output"}]}
                    continue
                prefix = str(node.get("inputs", {}).get("filename_prefix", "ComfyUI")).replace("/", "_")
                filename = f"{prefix}_{job.extra['number']:05d}_.mp4"
                state["outputs"][("video", filename)] = job
                item = {"filename": filename, "subfolder": "video", "type": "output"}
                kind = OUTPUT_NODES[node["class_type"]]
                if kind == "gifs":
                    item.update(format="video/h264-mp4", frame_rate=float(job.extra.get("fps", 24)))
                outputs[node_id] = {kind: [item], "animated": [True]} if kind == "images" else {kind: [item]}
    return {
        "prompt": [
            job.extra["number"],
            job.take,
            job.body["prompt"],
            job.body.get("extra_data", {}),
            job.extra["outputs"],
        ],
        "outputs": outputs,
        "status": status,
        "meta": {},
    }
