"""Handlers for custom job types, plugged into a runner with `--handlers resize_image`.

A `resize_image` job's payload: {"source": "/srv/images/cat.jpg", "width": 320}, with an
optional "target" (default: beside the source, as cat.320w.jpg). The image is scaled to that
width, keeping its proportions; the job's result says where it went and how big it is.
"""

import asyncio
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from worker_service.runner.context import JobContext
from worker_service.runner.handlers import PermanentFailure


async def resize_image(job: JobContext) -> dict[str, Any]:
    payload = job.payload
    assert isinstance(payload, dict)  # a custom type's payload is its JSON object
    source = Path(payload["source"])
    width = int(payload["width"])
    target = Path(payload.get("target") or source.with_suffix(f".{width}w{source.suffix}"))
    try:
        # Pillow's work blocks: off the event loop, so the runner's other jobs keep going.
        height = await asyncio.to_thread(_resize, source, target, width)
    except (FileNotFoundError, UnidentifiedImageError) as error:
        raise PermanentFailure(f"cannot read {source}: {error}") from error  # retrying won't help
    return {"target": str(target), "width": width, "height": height}


def _resize(source: Path, target: Path, width: int) -> int:
    with Image.open(source) as image:
        height = max(1, round(image.height * width / image.width))
        image.resize((width, height)).save(target)
    return height


# What the runner reads: job type name -> async handler.
HANDLERS = {"resize_image": resize_image}
