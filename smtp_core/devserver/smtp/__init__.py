"""The dev server's SMTP side: what a client talking SMTP meets.

* :mod:`.protocol`: the sessions, an ``asyncio.Protocol`` that answers a
  pipelined burst in one write;
* :mod:`.implicittls`: the implicit-TLS port's handshakes, before a session;
* :mod:`.grammar`: what a command line means and the replies' words
  (aiosmtpd 1.4.6's, without I/O);
* :mod:`.auth`: the AUTH exchanges (PLAIN, LOGIN, CRAM-MD5), without I/O;
* :mod:`.handler`: the policy's answers and the hand-off of accepted mail
  to the mailbox;
* :mod:`.intake`: the one thread that stores it, a batch at a time;
* :mod:`.policy`: users, rejected recipients, failure injection and
  Mailpit's chaos, decided here and acted on by the protocol;
* :mod:`.limits`: how much one client may take (:class:`SmtpLimits`);
* :mod:`.dataread`: a DATA payload read in chunks, with aiosmtpd's rules.
"""
