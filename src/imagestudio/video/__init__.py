"""Video: turn a still into a short clip for a platform's video target.

    motion.py   presets (zoom, pan, Ken Burns, push) and ease curves as pure geometry
    planes.py   pictures as limited-range Y/Cb/Cr planes (what yuv420p stores)
    frames.py   frames from a still with Pillow alone (pre-scaled once, then resampled)
    text.py     headline and call to action inside the target's safe zone
    encode.py   H.264/AAC MP4 with PyAV (the optional ``[video]`` extra)
    render.py   conform a request to its target, render, re-encode when too big
    probe.py    read an MP4's facts back

Local presets are free, offline and not AI; vendor image-to-video comes later.
"""
