"""Imported only by the extraction fork server (see `worker.context`): it pays the libraries'
one-time set-up there once, so every worker forked from the server starts ready."""
from .worker import ready

ready()
