import subprocess
import sys

import pytest

from imagestudio.imaging import memory
from imagestudio.imaging.pillow import PillowEngine

_PIPELINE = """
import resource, sys, threading
from PIL import Image
from imagestudio.imaging.pillow import PillowEngine
engine = PillowEngine(reuse_buffers=sys.argv[1] == "on")
source = Image.effect_noise((1024, 1024), 30).convert("RGB")
data = engine.encode(source, "png")
faults = []
def work():
    for i in range(8):
        before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        engine.encode(engine.fit(engine.decode(data, max_pixels=10**7), 1080, 1080), "png")
        if i >= 3:  # after warming up the thread's arena
            faults.append(resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before)
thread = threading.Thread(target=work)
thread.start()
thread.join()
print(sum(faults) // len(faults))
"""


def _faults_per_image(reuse: str) -> int:
    done = subprocess.run([sys.executable, "-c", _PIPELINE, reuse], capture_output=True,
                          text=True, check=True, timeout=120)
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_image_buffers_are_reused_instead_of_faulted_in_again():
    assert memory.keep_image_buffers() is True
    assert memory.keep_image_buffers() is True  # idempotent
    untuned, tuned = _faults_per_image("off"), _faults_per_image("on")
    assert untuned > 1000  # each fresh 4 MB buffer costs ~1,000 faults
    assert tuned < untuned / 10


def test_the_engine_tunes_the_allocator_unless_told_not_to(monkeypatch):
    calls: list[bool] = []
    monkeypatch.setattr("imagestudio.imaging.pillow.keep_image_buffers",
                        lambda: calls.append(True) or True)
    PillowEngine(reuse_buffers=False)
    assert calls == []
    PillowEngine()
    assert calls == [True]


_FREED = """
import sys
from imagestudio.imaging import memory
memory.keep_image_buffers()  # freed buffers stay in the heap, as in serve
def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:"))
# 64 MiB in 4 MiB buffers, each followed by a small one that stays: freed, they are
# holes in the heap that its top cannot give back (as a server's image buffers are)
pairs = [(b"x" * (4 << 20), b"y" * (64 << 10)) for _ in range(16)]
keep = [small for _, small in pairs]
del pairs
held = rss_kib()
assert memory.release_free_memory() is True
print(held - rss_kib())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_released_free_memory_leaves_the_process():
    done = subprocess.run([sys.executable, "-c", _FREED], capture_output=True, text=True,
                          check=True, timeout=60)
    assert int(done.stdout.strip()) > 48 * 1024  # KiB: most of the 64 MiB freed
