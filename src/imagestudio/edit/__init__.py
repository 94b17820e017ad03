"""Edit Studio: change one image by a local operation (free) or a vendor's edit model.

Pure domain work (plan, render); credits, the job row and the library are the studio
workflow's (:mod:`imagestudio.studio.edit`).
"""
