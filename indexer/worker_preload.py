"""Imported only by the extraction fork server (see `worker.context`): it pays the libraries'
one-time set-up there once, so every worker forked from the server starts ready, and it ties the
server's life to the build's."""

from .worker import die_with_parent, ready

die_with_parent()
ready()
