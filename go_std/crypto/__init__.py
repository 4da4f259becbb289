"""Namespaces of Go's ``crypto`` packages (``go.std.crypto.*``)."""
