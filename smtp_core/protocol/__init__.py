"""SMTP's rules without I/O: replies, commands, DATA encoding, line ends, AUTH.

=====================  ===================================================
:mod:`.reply`          reading replies (textproto's rules, size caps)
:mod:`.commands`       command lines (CR/LF check), EHLO parsing
:mod:`.dotstuff`       DATA encoding (Go's DotWriter)
:mod:`.lineends`       bare CR and LF made CRLF
:mod:`.auth`           mechanisms and the AUTH exchange
=====================  ===================================================

No module here imports ``socket`` or ``ssl`` (a test reads their imports):
each takes bytes or text and gives bytes, text or an error, so both
drivers, the blocking one and asyncio's, use them as they are.
"""
