"""Dataset engine: manifests and fingerprints (BLAKE3, parallel, stat cache), the snapshot store,
checkout, and tabular readers (profile, preview, diff). No Qt; the catalog is not touched here.
"""
