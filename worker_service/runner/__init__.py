"""The runner process: claims jobs from the worker service and runs their handlers."""
