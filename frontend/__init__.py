"""The Jobdeck dashboard: a server-rendered Jinja2 + htmx client of the producer API."""
