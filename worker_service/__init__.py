"""The worker service (hands jobs to runners over HTTP) and the runners themselves."""
