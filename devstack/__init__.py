"""`make run`: the whole stack on one machine, for trying Jobdeck and developing it."""
