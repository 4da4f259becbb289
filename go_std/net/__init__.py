"""Namespaces of Go's ``net`` packages (``go.std.net.*``)."""
