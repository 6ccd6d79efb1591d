"""Callbacks: a job's outcome, signed and sent to its callback_url from the outbox.

`signing` makes the Standard Webhooks headers, `addresses` refuses private destinations,
`sender` makes one try, `store` reads and records the outbox, `deliverer` runs it all.
"""
