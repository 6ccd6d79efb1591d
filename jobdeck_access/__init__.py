"""Who may call what: API tokens with roles, and the one table that says which role may call
which route of the producer API and the worker service (SPEC, section Access).

Both services import this package; neither imports the other.
"""
