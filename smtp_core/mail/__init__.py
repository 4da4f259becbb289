"""Composition: real mail from a map, as it goes on the wire.

=====================  ===================================================
:mod:`.options`        the map reader shared by compose and signing
:mod:`.compose`        :func:`~.compose.message` and :func:`~.compose.envelope`
:mod:`.mailaddr`       addresses and message ids in headers (A-labels)
:mod:`.wireform`       a message object in its wire form, its header envelope
:mod:`.fileparts`      file attachments read, encoded and sent in chunks
:mod:`.signing`        DKIM signing (dkimpy)
:mod:`.smime`          S/MIME signing and encryption (``cryptography``)
=====================  ===================================================

Nothing here opens a connection; only file attachments and key files are
read from disk.
"""
