"""What every Jobdeck process shares at run time: reading its settings, refusing to start in
one line when it cannot run, and the one shape of background (maintenance) work.

Depends on pydantic and starlette only; it knows nothing of jobs or of the database.
"""
