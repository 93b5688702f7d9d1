"""Repository tooling the pipelines run (image digests in the stack files)."""
