"""What polling a vendor's video job answers, the same for every vendor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoJobState:
    """One poll's answer: still running, or done with a file, an error or a refusal."""

    done: bool
    video_uri: str | None = None
    error: str | None = None
    refused: str | None = None
