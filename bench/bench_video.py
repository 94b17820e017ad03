"""Benchmark: a local motion clip, 6 s of 1080×1920 at 30 fps (an Instagram Reel).

Run: ``python bench/bench_video.py [--preset ken-burns] [--x264 superfast] [--runs 1]``
(needs the ``[video]`` extra; no network).

Renders a 3000×2000 photo-like still (gradients, noise, shapes) with a headline, a call to
action and 0.5 s fades, through :func:`imagestudio.video.render.render_clip`: frames made on
a worker thread, encoded by libx264 on the calling thread. Pinned to two cores where the
OS allows. Prints the wall time, the frame generation's CPU time (its thread's own) and
the encode's (the rest of the process: x264's threads included), and the peak RSS.
Targets: wall ≤ 6 s (1× real time) on 2 cores, peak RSS ≤ 400 MiB. On a shared machine
the CPU times are the steadier figures: (frames + encode) / 2 is the wall time two idle
cores would need.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

from PIL import Image, ImageDraw, ImageFilter

from imagestudio.catalog import load_catalog
from imagestudio.video.motion import DEFAULT_EASE, PRESETS, Motion
from imagestudio.video.probe import probe
from imagestudio.video.render import ClipSpec, render_clip


def still() -> Image.Image:
    base = Image.linear_gradient("L").resize((3000, 2000))
    image = Image.merge("RGB", (base, base.rotate(90).resize((3000, 2000)),
                                Image.effect_noise((3000, 2000), 40)))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = 200 + i * 220, 300 + (i * 137) % 1300
        draw.ellipse([x, y, x + 300, y + 300], fill=(40 + i * 15, 200 - i * 10, 90))
    return image.filter(ImageFilter.GaussianBlur(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="ken-burns", choices=PRESETS)
    parser.add_argument("--x264", default="superfast", help="libx264 preset")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
    target = load_catalog().video_targets["instagram_reel"]
    image = still()
    spec = ClipSpec(target, Motion(args.preset, DEFAULT_EASE[args.preset], (0.7, 0.35)), 6.0,
                    headline="Summer collection: 30% off", cta="Shop now",
                    fade_in_s=0.5, fade_out_s=0.5, preset=args.x264)
    print(f"python {platform.python_version()}, load average {os.getloadavg()}")
    for _ in range(args.runs):
        clip = render_clip(image, spec)
        s = clip.stats
        print(f"{args.preset} x264={args.x264}: wall {s.wall_s:.2f} s | frames CPU "
              f"{s.frames_cpu_s:.2f} s | encode CPU {s.encode_cpu_s:.2f} s | "
              f"(frames+encode)/2 {(s.frames_cpu_s + s.encode_cpu_s) / 2:.2f} s | "
              f"{len(clip.data) / 1e6:.2f} MB")
    started = time.perf_counter()
    facts = probe(clip.data)
    print(f"decoded back: {facts.width}x{facts.height}, {facts.frame_count} frames, "
          f"{facts.duration_s:g} s ({time.perf_counter() - started:.2f} s to decode)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
