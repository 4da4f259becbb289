"""The gostd-smtp benchmark: our clients side by side with Go's net/smtp,
smtplib and aiosmtplib, in one run, against the same sink.

Run it from the project root with ``python -m bench`` (see
``bench/README.md``).  Modules:

=====================  ==================================================
:mod:`bench.cli`       the command line (``python -m bench``)
:mod:`bench.harness`   running it: children, Go build, sinks, rounds
:mod:`bench.figures`   medians, paired ratios, issue 6's targets
:mod:`bench.report`    the Markdown table and ``results.md``
:mod:`bench.messages`  the messages sent (1 KiB and the big one)
:mod:`bench.sink`      a fast Python SMTP sink (when Postfix's is absent)
:mod:`bench.clients`   one child process per measured client
``bench/go/main.go``   the Go client (net/smtp), built on demand
=====================  ==================================================
"""
