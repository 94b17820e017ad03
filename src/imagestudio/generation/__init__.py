"""Generation: plan a request against the catalog, run it, post-process the images."""
