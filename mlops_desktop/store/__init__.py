"""The lab store: one place for the content-addressed blobs (artifacts, model files, dataset
snapshot files) of every desktop on a catalog, a folder or a folder on an SSH host, and each
home's local cache of what it fetched. No Qt, no SQL: the services record the location in the
catalog and call these.
"""
