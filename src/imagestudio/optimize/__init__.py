"""The Social Optimizer: one image to every platform target, exactly (issue 14).

    targets.py   catalog data to rendition specs (which targets, which encoding)
"""
