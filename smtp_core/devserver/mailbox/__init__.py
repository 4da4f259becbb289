"""The dev server's mailbox: where caught mail is kept and how it is read.

No socket and no HTTP here: the SMTP side and the send API write through
:class:`~.store.MailStore`, the web side reads through it.

* :mod:`.store`: the mail kept: intake, the index's queries, pruning, change events;
* :mod:`.maildir`: the Maildir folder's files (written, found, read, removed);
* :mod:`.indexschema`: the index's tables, version and one INSERT;
* :mod:`.tagindex`: which message has which tag, in the index;
* :mod:`.received`: :class:`ReceivedMessage` and :func:`escape_controls`,
  the one rule for showing a client's values;
* :mod:`.search`: Mailpit's search syntax as an SQL condition;
* :mod:`.mailview`: what the index and the API show of one message;
* :mod:`.mimetree`: a message's MIME structure as byte offsets;
* :mod:`.htmltext`: the text and start tags of an HTML body;
* :mod:`.tagnames`: Mailpit's tag names and tag lists;
* :mod:`.autotags`: Mailpit's automatic tags (plus addresses, filters, title case).
"""
