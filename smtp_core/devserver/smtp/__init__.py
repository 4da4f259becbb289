"""The dev server's SMTP side: what a client talking SMTP meets.

* :mod:`.protocol`: aiosmtpd's protocol, extended (CRAM-MD5, PIPELINING,
  STARTTLS once, the implicit-TLS port, injected replies), and the handler
  that hands accepted mail to the mailbox;
* :mod:`.policy`: users, rejected recipients, failure injection and
  Mailpit's chaos, decided here and acted on by the protocol;
* :mod:`.limits`: how much one client may take (:class:`SmtpLimits`).
"""
