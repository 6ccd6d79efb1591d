"""The producer API: create, find and act on jobs (FastAPI + SQLModel)."""
