"""The Social Optimizer and Upscale (issue 14): one image to every platform, exactly.

    targets.py   catalog data to rendition specs (which targets, which encoding rules)
    service.py   OptimizerService: plan (targets, checks) and render (a set, previews)
    upscale.py   Upscaler: local Lanczos3 + sharpen, Stability and WaveSpeed modes
    schemas.py   the public request and result shapes
    data/        output_rules.yaml (encoding per platform), upscale_modes.yaml (limits, prices)

The workflow (hold, run, record, settle) lives in ``imagestudio.studio.optimize`` and
``imagestudio.studio.upscale``; the pixels in ``imagestudio.imaging.renditions``.
"""
