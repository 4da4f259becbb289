"""The gostd-smtp benchmark: our clients side by side with Go's net/smtp,
smtplib and aiosmtplib, in one run, against the same sink.

Run it from the project root with ``python -m bench`` (see
``bench/README.md``).  Modules:

=====================  ==================================================
:mod:`bench.run`       the orchestration: sink, cases, repetitions, table
:mod:`bench.sink`      a fast Python SMTP sink (when Postfix's is absent)
:mod:`bench.clients`   one child process per measured client
``bench/go/main.go``   the Go client (net/smtp), built on demand
=====================  ==================================================
"""
