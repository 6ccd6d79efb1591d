"""Schedules' time arithmetic, shared by the producer API (validation, next runs) and the
worker service (firing): cron expressions read in an IANA time zone."""
