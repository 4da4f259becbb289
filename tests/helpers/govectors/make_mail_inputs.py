"""Write the inputs of the net/mail tables (Go fills in the answers: `go run ./gen`).

Run from tests/helpers/govectors: `python make_mail_inputs.py`, then the `go run ./gen`
command of README.md. The inputs are chosen by hand: Go's own test cases, the
shapes a mail header takes, and hostile ones (comments, quoted local parts,
obsolete syntax, encoded words, NUL, CR/LF, invalid UTF-8, very long inputs).
"""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

ADDRESSES = [
    "jdoe@machine.example", "John Doe <jdoe@machine.example>", '"Joe Q. Public" <john.q.public@example.com>',
    "Mary Smith <mary@x.test>", "<boss@nil.test>", '"Giant; \\"Big\\" Box" <sysservices@example.net>',
    "Pete <pete@silly.example>", "asa@example.com", "Åsa <asa@example.com>", "Jörg Doe <joerg@example.com>",
    '"" <empty@example.com>', '""@example.com', '"quoted local"@example.com', '"a\\"b"@example.com',
    '"a\\\\b"@example.com', "a.b.c@example.com", ".a@example.com", "a.@example.com", "a..b@example.com",
    "a@b.c.", "a@.b", "a@b..c", "a@", "@example.com", "a", "", " ", "<>", "<a>", "<a@>", "<@b>", "a@b c",
    "a@b,", "a@b>", "<a@b", "a b <c@d>", "a b c@d", "\"a b\" c@d", "a@[127.0.0.1]", "a@[IPv6:::1]",
    "a@[IPv6:1.2.3.4]", "a@[::1]", "a@[::ffff:1.2.3.4]", "a@[1.2.3]", "a@[01.2.3.4]", "a@[300.1.1.1]",
    "a@[IPv6:fe80::1%eth0]", "a@[example.com]", "a@[a[b]", "a@[a\\]b]", "a@[", "a@[1.2.3.4", "a@[é]",
    "jdoe@machine.example (John Doe)", "jdoe@machine.example (John (nested) Doe)", "jdoe@machine.example (unclosed",
    "jdoe@machine.example ()", "jdoe@machine.example (=?utf-8?q?J=C3=B6rg?=)", "jdoe@machine.example (=?x-unknown?q?a?=)",
    "(comment) jdoe@machine.example", "John (middle) Doe <jdoe@machine.example>", "John Doe <jdoe@machine.example> (trailing)",
    "John Doe <jdoe@machine.example> (unclosed", "John Doe <jdoe@machine.example> extra",
    "=?utf-8?q?J=C3=B6rg_Doe?= <joerg@example.com>", "=?UTF-8?B?SsO2cmc=?= <joerg@example.com>",
    "=?iso-8859-1?q?J=F6rg?= <joerg@example.com>", "=?us-ascii?q?J=F6rg?= <joerg@example.com>",
    "=?windows-1252?q?J=F6rg?= <joerg@example.com>", "=?KOI8-R?B?8NLJ18XU?= <x@example.com>",
    "=?utf-8?q?a?= =?utf-8?q?b?= <x@example.com>", "=?utf-8?q?a?= plain =?utf-8?q?b?= <x@example.com>",
    "=?utf-8?q?bad=ZZ?= <x@example.com>", "=?utf-8?b?!!!?= <x@example.com>", "=?utf-8?x?abc?= <x@example.com>",
    "=??q?abc?= <x@example.com>", "=?utf-8?q?a b?= <x@example.com>", "=?utf-8?q??= <x@example.com>",
    "=?utf-8?q?=E2=82?= <x@example.com>", "\"=?utf-8?q?J=C3=B6rg?=\" <x@example.com>",
    "Group: a@b.c, d@e.f;", "Undisclosed recipients:;", "Group: ;", "Group: a@b.c", "Group: a@b.c;;",
    "Group:(c) a@b.c (d);", "Group: Ed <e@x>, f@y;", "Group: a@b.c; extra", "Nested: Inner: a@b;;",
    "a@b\x00c", "a\x00@b", "John\x00 <a@b>", "\"a\x00b\"@c", "a@b\r\nc", "John\r\n <a@b>", "\"a\r\nb\"@c",
    "a@b\n", "\ta@b\t", "John\tDoe <a@b>", "a@b\x7f", "\x7fa@b", "ü@example.com", "a@ü.example",
    "\"ü\"@example.com", "Ü <ü@ü>", "\U0001F4E8 <mail@example.com>", "a@b (\U0001F4E8)",
    "\udcff@example.com", "a@\udcff", "\"\udcff\"@b", "Name\udcff <a@b>", "a@b (\udcff)",
    "<a@b> <c@d>", "a@b, c@d", "John <a@b>, c@d", "@route:a@b", "<@route:a@b>", "John <@r1,@r2:a@b>",
    "a(b)@c", "a@(b)c", "a @ b", "a@ b", "a @b", "<a @ b>", "< a@b >", "<a@b >", "< a@b>",
    "a.b@c.d (x) (y)", "\"\\\x00\"@b", "\"\\é\"@b", "\"a\tb\"@c", "\"a b\"@c", "\"unclosed@b",
    "a" * 300 + "@example.com", "x@" + "b" * 300 + ".com", "N" * 500 + " <a@b>", "\"" + "q" * 400 + "\"@b",
    "(" * 200 + "a@b", "a@b " + "(" * 50 + ")" * 50, "\\a@b", "a\\@b", "a@b\\", "<a@b>\\",
    "John \"Q\" Doe <a@b>", "\"John\"Doe <a@b>", "John.Doe <a@b>", "John. <a@b>", ".John <a@b>", "John..Doe <a@b>",
    "John: <a@b>", "John; <a@b>", "a,b@c", "Mary Smith <mary@x.test>,", "=?utf-8?q?x?=",
]

ADDRESS_LISTS = [
    "a@b, c@d", "a@b,c@d", "a@b,,c@d", ",a@b", "a@b,", "a@b, , c@d", "a@b c@d", "John <a@b>, Mary <c@d>",
    "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Mary <mary@x.test>",
    "Group:;, a@b", "Group: a@b;, Other: c@d;", "a@b (x), c@d (y)", "a@b (x, y), c@d", "\"a, b\" <a@b>, c@d",
    "", " ", ",", ",,", "a@b, (unclosed", "a@b; c@d", "=?utf-8?q?J=C3=B6rg?= <j@x>, =?x?q?a?= <k@y>",
    "a@b\r\n, c@d", "a@b,\r\n c@d", "Group: a@b, ;", "Group: , a@b;", "a@b, <c@d", "a@b, c@d>",
    ", ".join("u%d@example.com" % i for i in range(60)),
]

ADDRESS_STRINGS = [
    ("", "a@b"), ("John", "a@b"), ("John Doe", "a@b"), ("Åsa", "asa@example.com"), ("Jörg", "j@x"),
    ("Doe, John", "a@b"), ("J. Doe", "a@b"), ("\"Quoted\"", "a@b"), ("Back\\slash", "a@b"), ("Tab\tName", "a@b"),
    ("Ünïcödé, Inc.", "a@b"), ("中文名字", "a@b"), ("\U0001F4E8 mail", "a@b"), ("a" * 80, "a@b"),
    ("é" * 40, "a@b"), ("é" * 40 + ",", "a@b"), ("x y z " * 20 + "é", "a@b"), ("=?utf-8?q?x?=", "a@b"),
    ("ctrl\x01", "a@b"), ("nul\x00", "a@b"), ("cr\r\nlf", "a@b"), ("\x7f", "a@b"), ("_=?", "a@b"),
    ("é_=? x", "a@b"), ("", "quoted local@example.com"), ("", "\"already\"@example.com"), ("", "a..b@c"),
    ("", ".a@c"), ("", "a.@c"), ("", "a.b@c"), ("", "a(b)@c"), ("", "ü@example.com"), ("", "no-at-sign"),
    ("", "a@b@c"), ("", "@b"), ("", ""), ("Name", ""), ("", "a\\b@c"), ("", "a\"b@c"), ("", "a\x00b@c"),
    ("", "a\tb@c"), ("", "a b@c"), ("\udcff", "a@b"), ("", "\udcff@b"), ("Mixed é and specials ()", "a@b"),
    ("'single'", "a@b"), ("semi;colon", "a@b"), ("x" * 20 + "é" * 30, "a@b"),
]

DATES = [
    "Fri, 21 Nov 1997 09:55:06 -0600", "Tue, 1 Jul 2003 10:52:37 +0200", "Thu, 13 Feb 1969 23:32:54 -0330",
    "Mon, 24 Nov 1997 14:22:01 -0800", "21 Nov 97 09:55:06 GMT", "Wed, 02 Oct 2002 08:00:00 EST",
    "Wed, 02 Oct 2002 13:00:00 GMT", "Wed, 02 Oct 2002 15:00:00 +0200", "Fri, 21 Nov 1997 09:55:06 -0600 (MDT)",
    "Thu, 20 Nov 1997 09:55:06 MDT", "Thu, 20 Nov 1997 09:55:06 GMT", "Thu, 20 Nov 1997 09:55:06 UT",
    "Thu, 20 Nov 1997 09:55:06 UTC", "Thu, 20 Nov 1997 09:55:06 Z", "Thu, 20 Nov 1997 09:55 +0000",
    "20 Nov 1997 09:55:06 +0000", "20 Nov 97 09:55 +0000", "1 Jan 2000 00:00:00 +0000", "01 Jan 2000 00:00:00 +0000",
    "Sat, 1 Jan 2000 00:00:00 +0000", "Mon, 1 Jan 2000 00:00:00 +0000", "Xyz, 1 Jan 2000 00:00:00 +0000",
    "Sat, 1 Foo 2000 00:00:00 +0000", "Sat, 32 Jan 2000 00:00:00 +0000", "Sat, 30 Feb 2000 00:00:00 +0000",
    "Tue, 29 Feb 2000 00:00:00 +0000", "Thu, 29 Feb 2001 00:00:00 +0000", "Sat, 1 Jan 2000 24:00:00 +0000",
    "Sat, 1 Jan 2000 23:60:00 +0000", "Sat, 1 Jan 2000 23:59:60 +0000", "Sat, 1 Jan 2000 23:59:59.123 +0000",
    "Sat, 1 Jan 2000 23:59:59,5 +0000", "Sat, 1 Jan 2000 9:05:00 +0000", "Sat, 1 Jan 2000 09:5:00 +0000",
    "Sat, 1 Jan 2000 09:05:0 +0000", "Sat, 1 Jan 2000 09:05:00 +00", "Sat, 1 Jan 2000 09:05:00 +000000",
    "Sat, 1 Jan 2000 09:05:00 +2400", "Sat, 1 Jan 2000 09:05:00 +1260", "Sat, 1 Jan 2000 09:05:00 -1400",
    "Sat, 1 Jan 2000 09:05:00 +0000 (UTC)", "Sat, 1 Jan 2000 09:05:00 +0000 (unclosed",
    "Sat, 1 Jan 2000 09:05:00 +0000 trailing", "Sat, 1 Jan 2000 09:05:00 +0000 (a) (b)",
    "Sat, 1 Jan 2000 09:05:00 PST", "Sat, 1 Jan 2000 09:05:00 PDT", "Sat, 1 Jan 2000 09:05:00 CET",
    "Sat, 1 Jan 2000 09:05:00 CEST", "Sat, 1 Jan 2000 09:05:00 ChST", "Sat, 1 Jan 2000 09:05:00 XYZ",
    "Sat, 1 Jan 2000 09:05:00 ABCDEF", "Sat, 1 Jan 2000 09:05:00 GMT+1", "Sat, 1 Jan 2000 09:05:00 GMT+0100",
    "Sat, 1 Jan 2000 09:05:00 gmt", "Sat, 1 Jan 2000 09:05:00 ut", "Sat, 1 Jan 2000 09:05:00",
    "Sat, 1 Jan 2000", "Sat, 1 Jan 2000 09:05:00 +0000\r\n", "Sat, 1 Jan 2000\r\n 09:05:00 +0000",
    "Sat, 1 Jan 2000 09:05:00\r +0000", "Sat, 1 Jan 2000 09:05:00 +0000\n", "  Sat, 1 Jan 2000 09:05:00 +0000",
    "\tSat, 1 Jan 2000 09:05:00 +0000", "Sat,  1 Jan 2000 09:05:00 +0000", "Sat, 1  Jan 2000 09:05:00 +0000",
    "Sat,1 Jan 2000 09:05:00 +0000", "sat, 1 jan 2000 09:05:00 +0000", "SAT, 1 JAN 2000 09:05:00 +0000",
    "Sat, 1 January 2000 09:05:00 +0000", "Saturday, 1 Jan 2000 09:05:00 +0000", "Sat, 1 Jan 00 09:05:00 +0000",
    "Sat, 1 Jan 68 09:05:00 +0000", "Sat, 1 Jan 69 09:05:00 +0000", "Sat, 1 Jan 0000 09:05:00 +0000",
    "Sat, 1 Jan 9999 09:05:00 +0000", "Sat, 1 Jan 10000 09:05:00 +0000", "Sat, 1 Jan 200 09:05:00 +0000",
    "Sat, 001 Jan 2000 09:05:00 +0000", "Sat, 0 Jan 2000 09:05:00 +0000", "2000-01-01T09:05:00Z",
    "2000-01-01 09:05:00 +0000", "Sat Jan  1 09:05:00 2000", "Sat, 1 Jan 2000 09:05:00 +0000 extra words",
    "", " ", "\x00", "Sat, 1 Jan 2000 09:05:00 +0000\x00", "Sat,\x001 Jan 2000 09:05:00 +0000",
    "Sat, 1 Jan 2000 09:05:00 +0000 (\udcff)", "Sat, 1 Jan 2000 09:05:00 \udcff", "Sat, 1 Jan 2000 09:05:00 +0000 (é)",
    "Sat, 1 Jan 2000 09:05:00 " + "+0000" * 50, "Sat, 1 Jan 2000 09:05:00 +0000 " + "(" * 100,
    "T", "TT", "Tue", "Tue, 1 Jan 2000 09:05:00 EST", "Thu, 1 Jan 2000 09:05:00 MST", "Tue, 1 Jan 2000 09:05 UT",
    "-0000", "+0100", "Sat, 1 Jan 2000 09:05:00 -0000", "1 Jan 2000 09:05:00 -0000 (x)", "x" * 1000,
]

MESSAGES = [
    "From: a@b\r\nTo: c@d\r\nSubject: hi\r\n\r\nbody\r\n", "From: a@b\n\nbody", "Subject: x\r\n\r\n",
    "Subject: x", "Subject: x\r\n", "", "\r\n", "\r\nbody only", " starts with space\r\n\r\n",
    "\tstarts with tab: x\r\n\r\n", "Subject: folded\r\n continued\r\n\r\nb", "No colon here\r\n\r\nb",
    "X-Dup: 1\r\nX-Dup: 2\r\n\r\n", "x-lower-case: v\r\nCONTENT-TYPE: text/plain\r\n\r\n",
    "Key With Space: v\r\n\r\n", ": empty key\r\n\r\nb", "Subject:no space\r\n\r\n", "Subject:   many spaces\r\n\r\n",
    "Subject: \udcff\r\n\r\n\udcff", "Subject: a\x00b\r\n\r\n", "From mbox line\r\nSubject: x\r\n\r\n",
    "Date: Sat, 1 Jan 2000 09:05:00 +0000\r\n\r\n", "Subject: x\r\n\r\n" + "b" * 5000,
    "Subject: a\rb\r\n\r\n", "Subject: trailing   \r\n\r\n",
]


def write(name, inputs):
    vectors = []
    for text in inputs:
        if isinstance(text, tuple):
            text = text[0] + "\x00" + text[1]
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            vectors.append({"codepoints": [ord(c) for c in text]})
        else:
            vectors.append({"text": text})
    (HERE / (name + ".json")).write_text(json.dumps({"vectors": vectors}, indent=0) + "\n", encoding="ascii")


write("mail_address", ADDRESSES)
write("mail_address_list", ADDRESS_LISTS)
write("mail_address_string", ADDRESS_STRINGS)
write("mail_date", DATES)
write("mail_message", MESSAGES)
print(len(ADDRESSES), len(ADDRESS_LISTS), len(ADDRESS_STRINGS), len(DATES), len(MESSAGES))
