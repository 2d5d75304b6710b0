"""Database schema, engine construction and migrations."""
