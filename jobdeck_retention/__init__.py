"""Retention: the cleaner that retires old finished jobs, its archive and its history.

Shared by the worker service (which runs it on a timer), the producer API (which runs it
when asked) and `jobdeck cleanup`; all three talk to PostgreSQL through asyncpg.
"""
