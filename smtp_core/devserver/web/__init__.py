"""The dev server's web side: Mailpit's HTTP API and the catcher's page (aiohttp).

* :mod:`.service`: the HTTP side in the dev server's loop, its command-line
  options, the exposure and credential rules;
* :mod:`.httpguard`: who may talk to it and how much (Host, Origin, basic
  auth, connection limits);
* :mod:`.api`: Mailpit's ``/api/v1`` mailbox routes;
* :mod:`.events`: ``/api/events``, the live events socket;
* :mod:`.mailpit_extra`: ``/api/v1/info`` and ``webui``, Mailpit's error
  shapes, and where every feature route below is added;
* one Mailpit feature each: :mod:`.sendapi` (send), :mod:`.release`,
  :mod:`.views` (the text view), :mod:`.linkcheck`, :mod:`.htmlcheck`
  (with ``data/``, caniemail's figures), :mod:`.spamassassin`,
  :mod:`.thumbs`, :mod:`.tags`, :mod:`.chaos`;
* :mod:`.page`: the page's routes and its files in ``static/``.
"""
