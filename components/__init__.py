"""The platform's building blocks: one ComponentResource per file, plus the typed stack config."""
