"""`jobdeck`: the operator's command line. It reads DATABASE_URL like the services (the
embedded server when unset) and talks to the database directly, so it works before any
service runs (creating the first admin token, say)."""
