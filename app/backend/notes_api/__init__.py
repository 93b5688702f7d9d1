"""The backend: a small JSON API over PostgreSQL that keeps short notes (port 5000)."""
