"""Tests for :mod:`smtp_core.goformat` (Go's Quote, ToUpper, TrimSpace).

The vector tables were produced by running Go 1.27.3 (strconv.Quote,
strings.ToUpper, strings.TrimSpace) on exactly the bytes each input stands
for (see ``go_bytes``), so no Go toolchain is needed to run these tests.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smtp_core.goformat import go_bytes, go_quote, go_trim_space, go_upper

GO_SPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

# (input, strconv.Quote output).  str inputs mean go_bytes(input).
QUOTE_VECTORS = [
    ('\x00', '"\\x00"'),
    ('\x01', '"\\x01"'),
    ('\x02', '"\\x02"'),
    ('\x03', '"\\x03"'),
    ('\x04', '"\\x04"'),
    ('\x05', '"\\x05"'),
    ('\x06', '"\\x06"'),
    ('\x07', '"\\a"'),
    ('\x08', '"\\b"'),
    ('\t', '"\\t"'),
    ('\n', '"\\n"'),
    ('\x0b', '"\\v"'),
    ('\x0c', '"\\f"'),
    ('\r', '"\\r"'),
    ('\x0e', '"\\x0e"'),
    ('\x0f', '"\\x0f"'),
    ('\x10', '"\\x10"'),
    ('\x11', '"\\x11"'),
    ('\x12', '"\\x12"'),
    ('\x13', '"\\x13"'),
    ('\x14', '"\\x14"'),
    ('\x15', '"\\x15"'),
    ('\x16', '"\\x16"'),
    ('\x17', '"\\x17"'),
    ('\x18', '"\\x18"'),
    ('\x19', '"\\x19"'),
    ('\x1a', '"\\x1a"'),
    ('\x1b', '"\\x1b"'),
    ('\x1c', '"\\x1c"'),
    ('\x1d', '"\\x1d"'),
    ('\x1e', '"\\x1e"'),
    ('\x1f', '"\\x1f"'),
    (' ', '" "'),
    ('!', '"!"'),
    ('"', '"\\""'),
    ('#', '"#"'),
    ('$', '"$"'),
    ('%', '"%"'),
    ('&', '"&"'),
    ("'", '"\'"'),
    ('(', '"("'),
    (')', '")"'),
    ('*', '"*"'),
    ('+', '"+"'),
    (',', '","'),
    ('-', '"-"'),
    ('.', '"."'),
    ('/', '"/"'),
    ('0', '"0"'),
    ('1', '"1"'),
    ('2', '"2"'),
    ('3', '"3"'),
    ('4', '"4"'),
    ('5', '"5"'),
    ('6', '"6"'),
    ('7', '"7"'),
    ('8', '"8"'),
    ('9', '"9"'),
    (':', '":"'),
    (';', '";"'),
    ('<', '"<"'),
    ('=', '"="'),
    ('>', '">"'),
    ('?', '"?"'),
    ('@', '"@"'),
    ('A', '"A"'),
    ('B', '"B"'),
    ('C', '"C"'),
    ('D', '"D"'),
    ('E', '"E"'),
    ('F', '"F"'),
    ('G', '"G"'),
    ('H', '"H"'),
    ('I', '"I"'),
    ('J', '"J"'),
    ('K', '"K"'),
    ('L', '"L"'),
    ('M', '"M"'),
    ('N', '"N"'),
    ('O', '"O"'),
    ('P', '"P"'),
    ('Q', '"Q"'),
    ('R', '"R"'),
    ('S', '"S"'),
    ('T', '"T"'),
    ('U', '"U"'),
    ('V', '"V"'),
    ('W', '"W"'),
    ('X', '"X"'),
    ('Y', '"Y"'),
    ('Z', '"Z"'),
    ('[', '"["'),
    ('\\', '"\\\\"'),
    (']', '"]"'),
    ('^', '"^"'),
    ('_', '"_"'),
    ('`', '"`"'),
    ('a', '"a"'),
    ('b', '"b"'),
    ('c', '"c"'),
    ('d', '"d"'),
    ('e', '"e"'),
    ('f', '"f"'),
    ('g', '"g"'),
    ('h', '"h"'),
    ('i', '"i"'),
    ('j', '"j"'),
    ('k', '"k"'),
    ('l', '"l"'),
    ('m', '"m"'),
    ('n', '"n"'),
    ('o', '"o"'),
    ('p', '"p"'),
    ('q', '"q"'),
    ('r', '"r"'),
    ('s', '"s"'),
    ('t', '"t"'),
    ('u', '"u"'),
    ('v', '"v"'),
    ('w', '"w"'),
    ('x', '"x"'),
    ('y', '"y"'),
    ('z', '"z"'),
    ('{', '"{"'),
    ('|', '"|"'),
    ('}', '"}"'),
    ('~', '"~"'),
    ('\x7f', '"\\x7f"'),
    ('', '""'),
    ('hello', '"hello"'),
    ('He said "hi" \\o/', '"He said \\"hi\\" \\\\o/"'),
    ('a\tb\nc\r\n', '"a\\tb\\nc\\r\\n"'),
    ('\x00\x01\x1b\x1f\x7f', '"\\x00\\x01\\x1b\\x1f\\x7f"'),
    ('\x07\x08\x0c\x0b', '"\\a\\b\\f\\v"'),
    ('250-8BITMIME', '"250-8BITMIME"'),
    ('\\x41 is not an escape', '"\\\\x41 is not an escape"'),
    ("it's", '"it\'s"'),
    ('`back`', '"`back`"'),
    ('%q %s %%', '"%q %s %%"'),
    ('\x80', '"\\u0080"'),
    ('\x85', '"\\u0085"'),
    ('\x9f', '"\\u009f"'),
    ('\xa0', '"\\u00a0"'),
    ('\xa1', '"\xa1"'),
    ('\xad', '"\\u00ad"'),
    ('\xff', '"\xff"'),
    ('\u0100', '"\u0100"'),
    ('\u034f', '"\u034f"'),
    ('\u0378', '"\\u0378"'),
    ('\u037f', '"\u037f"'),
    ('\u0380', '"\\u0380"'),
    ('\u0600', '"\\u0600"'),
    ('\u061c', '"\\u061c"'),
    ('\u06dd', '"\\u06dd"'),
    ('\u070f', '"\\u070f"'),
    ('\u180e', '"\\u180e"'),
    ('\u200b', '"\\u200b"'),
    ('\u200c', '"\\u200c"'),
    ('\u200d', '"\\u200d"'),
    ('\u200e', '"\\u200e"'),
    ('\u2028', '"\\u2028"'),
    ('\u2029', '"\\u2029"'),
    ('\u202f', '"\\u202f"'),
    ('\u205f', '"\\u205f"'),
    ('\u2060', '"\\u2060"'),
    ('\u2066', '"\\u2066"'),
    ('\u3000', '"\\u3000"'),
    ('\u3099', '"\u3099"'),
    ('\ud7ff', '"\\ud7ff"'),
    ('\ue000', '"\\ue000"'),
    ('\uf8ff', '"\\uf8ff"'),
    ('\ufdd0', '"\\ufdd0"'),
    ('\ufe0f', '"\ufe0f"'),
    ('\ufeff', '"\\ufeff"'),
    ('\ufff9', '"\\ufff9"'),
    ('\ufffc', '"\ufffc"'),
    ('\ufffd', '"\ufffd"'),
    ('\ufffe', '"\\ufffe"'),
    ('\uffff', '"\\uffff"'),
    ('\U00010000', '"\U00010000"'),
    ('\U0001000c', '"\\U0001000c"'),
    ('\U0001d173', '"\\U0001d173"'),
    ('\U0001f600', '"\U0001f600"'),
    ('\U0001f3fb', '"\U0001f3fb"'),
    ('\U0001f9ff', '"\U0001f9ff"'),
    ('\U00020000', '"\U00020000"'),
    ('\U0002fffd', '"\\U0002fffd"'),
    ('\U0002ffff', '"\\U0002ffff"'),
    ('\U00030000', '"\U00030000"'),
    ('\U000e0001', '"\\U000e0001"'),
    ('\U000e0020', '"\\U000e0020"'),
    ('\U000e007f', '"\\U000e007f"'),
    ('\U000e0100', '"\U000e0100"'),
    ('\U000e01ef', '"\U000e01ef"'),
    ('\U000e01f0', '"\\U000e01f0"'),
    ('\U000f0000', '"\\U000f0000"'),
    ('\U000ffffd', '"\\U000ffffd"'),
    ('\U00100000', '"\\U00100000"'),
    ('\U0010fffd', '"\\U0010fffd"'),
    ('\U0010ffff', '"\\U0010ffff"'),
    ('\u1680', '"\\u1680"'),
    ('\u2000', '"\\u2000"'),
    ('\u1885', '"\u1885"'),
    ('\u115f', '"\u115f"'),
    ('\u3164', '"\u3164"'),
    ('\uffa0', '"\uffa0"'),
    ('\U0001bca0', '"\\U0001bca0"'),
    ('\U00013430', '"\\U00013430"'),
    ('\U0001343f', '"\\U0001343f"'),
    ('\U000110bd', '"\\U000110bd"'),
    ('\u088f', '"\u088f"'),
    ('\u0890', '"\\u0890"'),
    ('\u0897', '"\u0897"'),
    ('\u0898', '"\u0898"'),
    ('\u0c5c', '"\u0c5c"'),
    ('\u0c5d', '"\u0c5d"'),
    ('\u0cdc', '"\u0cdc"'),
    ('\u0cdd', '"\u0cdd"'),
    ('\u0cf3', '"\u0cf3"'),
    ('\u0cf4', '"\\u0cf4"'),
    ('\u0ece', '"\u0ece"'),
    ('\u0ecf', '"\\u0ecf"'),
    ('\u1acf', '"\u1acf"'),
    ('\u1add', '"\u1add"'),
    ('\u1ade', '"\\u1ade"'),
    ('\u1ae0', '"\u1ae0"'),
    ('\u1aeb', '"\u1aeb"'),
    ('\u1aec', '"\\u1aec"'),
    ('\u1b4e', '"\u1b4e"'),
    ('\u1b4f', '"\u1b4f"'),
    ('\u1b50', '"\u1b50"'),
    ('\u1b7f', '"\u1b7f"'),
    ('\u1b80', '"\u1b80"'),
    ('\u1c89', '"\u1c89"'),
    ('\u1c8a', '"\u1c8a"'),
    ('\u1c8b', '"\\u1c8b"'),
    ('\u20c1', '"\u20c1"'),
    ('\u20c2', '"\\u20c2"'),
    ('\u2427', '"\u2427"'),
    ('\u2429', '"\u2429"'),
    ('\u242a', '"\\u242a"'),
    ('\u2b96', '"\u2b96"'),
    ('\u2b97', '"\u2b97"'),
    ('\u2ffc', '"\u2ffc"'),
    ('\u2fff', '"\u2fff"'),
    ('\u31e4', '"\u31e4"'),
    ('\u31e5', '"\u31e5"'),
    ('\u31e6', '"\\u31e6"'),
    ('\u31ef', '"\u31ef"'),
    ('\u31f0', '"\u31f0"'),
    ('\ua7cb', '"\ua7cb"'),
    ('\ua7cf', '"\ua7cf"'),
    ('\ua7d0', '"\ua7d0"'),
    ('\ua7d2', '"\ua7d2"'),
    ('\ua7d3', '"\ua7d3"'),
    ('\ua7d4', '"\ua7d4"'),
    ('\ua7d5', '"\ua7d5"'),
    ('\ua7da', '"\ua7da"'),
    ('\ua7dc', '"\ua7dc"'),
    ('\ua7dd', '"\\ua7dd"'),
    ('\ua7f1', '"\ua7f1"'),
    ('\ua7f2', '"\ua7f2"'),
    ('\ufbc3', '"\ufbc3"'),
    ('\ufbd2', '"\ufbd2"'),
    ('\ufbd3', '"\ufbd3"'),
    ('\ufd90', '"\ufd90"'),
    ('\ufd91', '"\ufd91"'),
    ('\ufd92', '"\ufd92"'),
    ('\ufdc8', '"\ufdc8"'),
    ('\ufdce', '"\ufdce"'),
    ('\ufdcf', '"\ufdcf"'),
    ('\U000105c0', '"\U000105c0"'),
    ('\U000105f3', '"\U000105f3"'),
    ('\U000105f4', '"\\U000105f4"'),
    ('\U00010940', '"\U00010940"'),
    ('\U00010959', '"\U00010959"'),
    ('\U0001095a', '"\\U0001095a"'),
    ('\U00010d40', '"\U00010d40"'),
    ('\U00010d65', '"\U00010d65"'),
    ('\U00010d66', '"\\U00010d66"'),
    ('\U00010d69', '"\U00010d69"'),
    ('\U00010d85', '"\U00010d85"'),
    ('\U00010d86', '"\\U00010d86"'),
    ('\U00010d8e', '"\U00010d8e"'),
    ('\U00010d8f', '"\U00010d8f"'),
    ('\U00010d90', '"\\U00010d90"'),
    ('\U00010ec2', '"\U00010ec2"'),
    ('\U00010ec7', '"\U00010ec7"'),
    ('\U00010ec8', '"\\U00010ec8"'),
    ('\U00010ed0', '"\U00010ed0"'),
    ('\U00010ed8', '"\U00010ed8"'),
    ('\U00010ed9', '"\\U00010ed9"'),
    ('\U00010efa', '"\U00010efa"'),
    ('\U00010eff', '"\U00010eff"'),
    ('\U00010f00', '"\U00010f00"'),
    ('\U0001123f', '"\U0001123f"'),
    ('\U00011241', '"\U00011241"'),
    ('\U00011242', '"\\U00011242"'),
    ('\U00011380', '"\U00011380"'),
    ('\U00011389', '"\U00011389"'),
    ('\U0001138a', '"\\U0001138a"'),
    ('\U0001138b', '"\U0001138b"'),
    ('\U0001138c', '"\\U0001138c"'),
    ('\U0001138e', '"\U0001138e"'),
    ('\U0001138f', '"\\U0001138f"'),
    ('\U00011390', '"\U00011390"'),
    ('\U000113b5', '"\U000113b5"'),
    ('\U000113b6', '"\\U000113b6"'),
    ('\U000113b7', '"\U000113b7"'),
    ('\U000113c0', '"\U000113c0"'),
    ('\U000113c1', '"\\U000113c1"'),
    ('\U000113c2', '"\U000113c2"'),
    ('\U000113c3', '"\\U000113c3"'),
    ('\U000113c5', '"\U000113c5"'),
    ('\U000113c6', '"\\U000113c6"'),
    ('\U000113c7', '"\U000113c7"'),
    ('\U000113ca', '"\U000113ca"'),
    ('\U000113cb', '"\\U000113cb"'),
    ('\U000113cc', '"\U000113cc"'),
    ('\U000113d5', '"\U000113d5"'),
    ('\U000113d6', '"\\U000113d6"'),
    ('\U000113d7', '"\U000113d7"'),
    ('\U000113d8', '"\U000113d8"'),
    ('\U000113d9', '"\\U000113d9"'),
    ('\U000113e1', '"\U000113e1"'),
    ('\U000113e2', '"\U000113e2"'),
    ('\U000113e3', '"\\U000113e3"'),
    ('\U000116d0', '"\U000116d0"'),
    ('\U000116e3', '"\U000116e3"'),
    ('\U000116e4', '"\\U000116e4"'),
    ('\U00011b00', '"\U00011b00"'),
    ('\U00011b09', '"\U00011b09"'),
    ('\U00011b0a', '"\\U00011b0a"'),
    ('\U00011b60', '"\U00011b60"'),
    ('\U00011b67', '"\U00011b67"'),
    ('\U00011b68', '"\\U00011b68"'),
    ('\U00011bc0', '"\U00011bc0"'),
    ('\U00011be1', '"\U00011be1"'),
    ('\U00011be2', '"\\U00011be2"'),
    ('\U00011bf0', '"\U00011bf0"'),
    ('\U00011bf9', '"\U00011bf9"'),
    ('\U00011bfa', '"\\U00011bfa"'),
    ('\U00011db0', '"\U00011db0"'),
    ('\U00011ddb', '"\U00011ddb"'),
    ('\U00011ddc', '"\\U00011ddc"'),
    ('\U00011de0', '"\U00011de0"'),
    ('\U00011de9', '"\U00011de9"'),
    ('\U00011dea', '"\\U00011dea"'),
    ('\U00011f00', '"\U00011f00"'),
    ('\U00011f10', '"\U00011f10"'),
    ('\U00011f11', '"\\U00011f11"'),
    ('\U00011f12', '"\U00011f12"'),
    ('\U00011f3a', '"\U00011f3a"'),
    ('\U00011f3b', '"\\U00011f3b"'),
    ('\U00011f3e', '"\U00011f3e"'),
    ('\U00011f5a', '"\U00011f5a"'),
    ('\U00011f5b', '"\\U00011f5b"'),
    ('\U0001342f', '"\U0001342f"'),
    ('\U00013440', '"\U00013440"'),
    ('\U00013455', '"\U00013455"'),
    ('\U00013456', '"\\U00013456"'),
    ('\U00013460', '"\U00013460"'),
    ('\U000143fa', '"\U000143fa"'),
    ('\U000143fb', '"\\U000143fb"'),
    ('\U00016100', '"\U00016100"'),
    ('\U00016139', '"\U00016139"'),
    ('\U0001613a', '"\\U0001613a"'),
    ('\U00016d40', '"\U00016d40"'),
    ('\U00016d79', '"\U00016d79"'),
    ('\U00016d7a', '"\\U00016d7a"'),
    ('\U00016ea0', '"\U00016ea0"'),
    ('\U00016eb8', '"\U00016eb8"'),
    ('\U00016eb9', '"\\U00016eb9"'),
    ('\U00016ebb', '"\U00016ebb"'),
    ('\U00016ed3', '"\U00016ed3"'),
    ('\U00016ed4', '"\\U00016ed4"'),
    ('\U00016ff2', '"\U00016ff2"'),
    ('\U00016ff6', '"\U00016ff6"'),
    ('\U00016ff7', '"\\U00016ff7"'),
    ('\U000187f8', '"\U000187f8"'),
    ('\U000187ff', '"\U000187ff"'),
    ('\U00018800', '"\U00018800"'),
    ('\U00018cff', '"\U00018cff"'),
    ('\U00018d00', '"\U00018d00"'),
    ('\U00018d09', '"\U00018d09"'),
    ('\U00018d1e', '"\U00018d1e"'),
    ('\U00018d1f', '"\\U00018d1f"'),
    ('\U00018d80', '"\U00018d80"'),
    ('\U00018df2', '"\U00018df2"'),
    ('\U00018df3', '"\\U00018df3"'),
    ('\U0001b132', '"\U0001b132"'),
    ('\U0001b133', '"\\U0001b133"'),
    ('\U0001b155', '"\U0001b155"'),
    ('\U0001b156', '"\\U0001b156"'),
    ('\U0001cc00', '"\U0001cc00"'),
    ('\U0001ccfc', '"\U0001ccfc"'),
    ('\U0001ccfd', '"\\U0001ccfd"'),
    ('\U0001cd00', '"\U0001cd00"'),
    ('\U0001ceb3', '"\U0001ceb3"'),
    ('\U0001ceb4', '"\\U0001ceb4"'),
    ('\U0001ceba', '"\U0001ceba"'),
    ('\U0001ced0', '"\U0001ced0"'),
    ('\U0001ced1', '"\\U0001ced1"'),
    ('\U0001cee0', '"\U0001cee0"'),
    ('\U0001cef0', '"\U0001cef0"'),
    ('\U0001cef1', '"\\U0001cef1"'),
    ('\U0001d2c0', '"\U0001d2c0"'),
    ('\U0001d2d3', '"\U0001d2d3"'),
    ('\U0001d2d4', '"\\U0001d2d4"'),
    ('\U0001df25', '"\U0001df25"'),
    ('\U0001df2a', '"\U0001df2a"'),
    ('\U0001df2b', '"\\U0001df2b"'),
    ('\U0001e030', '"\U0001e030"'),
    ('\U0001e06d', '"\U0001e06d"'),
    ('\U0001e06e', '"\\U0001e06e"'),
    ('\U0001e08f', '"\U0001e08f"'),
    ('\U0001e090', '"\\U0001e090"'),
    ('\U0001e4d0', '"\U0001e4d0"'),
    ('\U0001e4f9', '"\U0001e4f9"'),
    ('\U0001e4fa', '"\\U0001e4fa"'),
    ('\U0001e5d0', '"\U0001e5d0"'),
    ('\U0001e5fa', '"\U0001e5fa"'),
    ('\U0001e5fb', '"\\U0001e5fb"'),
    ('\U0001e5ff', '"\U0001e5ff"'),
    ('\U0001e600', '"\\U0001e600"'),
    ('\U0001e6c0', '"\U0001e6c0"'),
    ('\U0001e6de', '"\U0001e6de"'),
    ('\U0001e6df', '"\\U0001e6df"'),
    ('\U0001e6e0', '"\U0001e6e0"'),
    ('\U0001e6f5', '"\U0001e6f5"'),
    ('\U0001e6f6', '"\\U0001e6f6"'),
    ('\U0001e6fe', '"\U0001e6fe"'),
    ('\U0001e6ff', '"\U0001e6ff"'),
    ('\U0001e700', '"\\U0001e700"'),
    ('\U0001f6d8', '"\U0001f6d8"'),
    ('\U0001f6d9', '"\\U0001f6d9"'),
    ('\U0001f6dc', '"\U0001f6dc"'),
    ('\U0001f6dd', '"\U0001f6dd"'),
    ('\U0001f774', '"\U0001f774"'),
    ('\U0001f77f', '"\U0001f77f"'),
    ('\U0001f780', '"\U0001f780"'),
    ('\U0001f7d9', '"\U0001f7d9"'),
    ('\U0001f7da', '"\\U0001f7da"'),
    ('\U0001f8b2', '"\U0001f8b2"'),
    ('\U0001f8bb', '"\U0001f8bb"'),
    ('\U0001f8bc', '"\\U0001f8bc"'),
    ('\U0001f8c0', '"\U0001f8c0"'),
    ('\U0001f8c1', '"\U0001f8c1"'),
    ('\U0001f8c2', '"\\U0001f8c2"'),
    ('\U0001f8d0', '"\U0001f8d0"'),
    ('\U0001f8d8', '"\U0001f8d8"'),
    ('\U0001f8d9', '"\\U0001f8d9"'),
    ('\U0001fa54', '"\U0001fa54"'),
    ('\U0001fa57', '"\U0001fa57"'),
    ('\U0001fa58', '"\\U0001fa58"'),
    ('\U0001fa75', '"\U0001fa75"'),
    ('\U0001fa77', '"\U0001fa77"'),
    ('\U0001fa78', '"\U0001fa78"'),
    ('\U0001fa87', '"\U0001fa87"'),
    ('\U0001fa8a', '"\U0001fa8a"'),
    ('\U0001fa8b', '"\\U0001fa8b"'),
    ('\U0001fa8e', '"\U0001fa8e"'),
    ('\U0001fa8f', '"\U0001fa8f"'),
    ('\U0001fa90', '"\U0001fa90"'),
    ('\U0001faad', '"\U0001faad"'),
    ('\U0001faaf', '"\U0001faaf"'),
    ('\U0001fab0', '"\U0001fab0"'),
    ('\U0001fabb', '"\U0001fabb"'),
    ('\U0001fabf', '"\U0001fabf"'),
    ('\U0001fac0', '"\U0001fac0"'),
    ('\U0001fac6', '"\U0001fac6"'),
    ('\U0001fac7', '"\\U0001fac7"'),
    ('\U0001fac8', '"\U0001fac8"'),
    ('\U0001fac9', '"\\U0001fac9"'),
    ('\U0001facd', '"\U0001facd"'),
    ('\U0001facf', '"\U0001facf"'),
    ('\U0001fad0', '"\U0001fad0"'),
    ('\U0001fada', '"\U0001fada"'),
    ('\U0001fadc', '"\U0001fadc"'),
    ('\U0001fadd', '"\\U0001fadd"'),
    ('\U0001fadf', '"\U0001fadf"'),
    ('\U0001fae0', '"\U0001fae0"'),
    ('\U0001fae8', '"\U0001fae8"'),
    ('\U0001faea', '"\U0001faea"'),
    ('\U0001faeb', '"\\U0001faeb"'),
    ('\U0001faef', '"\U0001faef"'),
    ('\U0001faf0', '"\U0001faf0"'),
    ('\U0001faf7', '"\U0001faf7"'),
    ('\U0001faf8', '"\U0001faf8"'),
    ('\U0001faf9', '"\\U0001faf9"'),
    ('\U0001fbcb', '"\U0001fbcb"'),
    ('\U0001fbef', '"\U0001fbef"'),
    ('\U0001fbf0', '"\U0001fbf0"'),
    ('\U0001fbfa', '"\U0001fbfa"'),
    ('\U0001fbfb', '"\\U0001fbfb"'),
    ('\U0002b739', '"\U0002b739"'),
    ('\U0002b73f', '"\U0002b73f"'),
    ('\U0002b740', '"\U0002b740"'),
    ('\U0002cea2', '"\U0002cea2"'),
    ('\U0002cead', '"\U0002cead"'),
    ('\U0002ceae', '"\\U0002ceae"'),
    ('\U0002ebf0', '"\U0002ebf0"'),
    ('\U0002ee5d', '"\U0002ee5d"'),
    ('\U0002ee5e', '"\\U0002ee5e"'),
    ('\U00031350', '"\U00031350"'),
    ('\U00033479', '"\U00033479"'),
    ('\U0003347a', '"\\U0003347a"'),
    ('caf\xe9 \u4e2d\u6587 \U0001f600', '"caf\xe9 \u4e2d\u6587 \U0001f600"'),
    ('mixed \x00 \xe9 \u200b "q"', '"mixed \\x00 \xe9 \\u200b \\"q\\""'),
    (b'\x80', '"\\x80"'),
    (b'\xbf', '"\\xbf"'),
    (b'\xc0', '"\\xc0"'),
    (b'\xc1', '"\\xc1"'),
    (b'\xc2', '"\\xc2"'),
    (b'\xdf', '"\\xdf"'),
    (b'\xe0', '"\\xe0"'),
    (b'\xef', '"\\xef"'),
    (b'\xf0', '"\\xf0"'),
    (b'\xf4', '"\\xf4"'),
    (b'\xf5', '"\\xf5"'),
    (b'\xf7', '"\\xf7"'),
    (b'\xf8', '"\\xf8"'),
    (b'\xfb', '"\\xfb"'),
    (b'\xfc', '"\\xfc"'),
    (b'\xfd', '"\\xfd"'),
    (b'\xfe', '"\\xfe"'),
    (b'\xff', '"\\xff"'),
    (b'\xc0\x80', '"\\xc0\\x80"'),
    (b'\xc0\xaf', '"\\xc0\\xaf"'),
    (b'\xc1\xbf', '"\\xc1\\xbf"'),
    (b'\xe0\x80\x80', '"\\xe0\\x80\\x80"'),
    (b'\xe0\x9f\xbf', '"\\xe0\\x9f\\xbf"'),
    (b'\xe0\xa0\x80', '"\u0800"'),
    (b'\xf0\x80\x80\x80', '"\\xf0\\x80\\x80\\x80"'),
    (b'\xf0\x8f\xbf\xbf', '"\\xf0\\x8f\\xbf\\xbf"'),
    (b'\xf0\x90\x80\x80', '"\U00010000"'),
    (b'\xf4\x8f\xbf\xbf', '"\\U0010ffff"'),
    (b'\xf4\x90\x80\x80', '"\\xf4\\x90\\x80\\x80"'),
    (b'\xf5\x80\x80\x80', '"\\xf5\\x80\\x80\\x80"'),
    (b'\xed\x9f\xbf', '"\\ud7ff"'),
    (b'\xed\xa0\x80', '"\\xed\\xa0\\x80"'),
    (b'\xed\xbf\xbf', '"\\xed\\xbf\\xbf"'),
    (b'\xed\xa0\xbd\xed\xb8\x80', '"\\xed\\xa0\\xbd\\xed\\xb8\\x80"'),
    (b'\xf8\x88\x80\x80\x80', '"\\xf8\\x88\\x80\\x80\\x80"'),
    (b'\xfc\x84\x80\x80\x80\x80', '"\\xfc\\x84\\x80\\x80\\x80\\x80"'),
    (b'\xc3', '"\\xc3"'),
    (b'\xc3(', '"\\xc3("'),
    (b'\xe2\x82', '"\\xe2\\x82"'),
    (b'\xe2\x82(', '"\\xe2\\x82("'),
    (b'\xf0\x9f\x98', '"\\xf0\\x9f\\x98"'),
    (b'\xf0\x9f\x98A', '"\\xf0\\x9f\\x98A"'),
    (b'\xe2(\xa1', '"\\xe2(\\xa1"'),
    (b'\xa9\xc3', '"\\xa9\\xc3"'),
    (b'\xc3\xa9', '"\xe9"'),
    (b'\xc3\xa9\xa9', '"\xe9\\xa9"'),
    (b'\xef\xbf\xbd', '"\ufffd"'),
    (b'\xef\xbf\xbe', '"\\ufffe"'),
    (b'\xef\xbf\xbf', '"\\uffff"'),
    (b'\xc2\x80', '"\\u0080"'),
    (b'\xc2\xa0', '"\\u00a0"'),
    (b'\xc2\xad', '"\\u00ad"'),
    (b'\xe2\x80\x8b', '"\\u200b"'),
    (b'\xe2\x80\xa8', '"\\u2028"'),
    (b'\xf3\xa0\x80\x81', '"\\U000e0001"'),
    (b'ok\xffok', '"ok\\xffok"'),
    (b'\x00\xff\x7f\x80', '"\\x00\\xff\\x7f\\x80"'),
    (b'"\xff\\', '"\\"\\xff\\\\"'),
    (b'\xe1\x80\xe1\x80\x80', '"\\xe1\\x80\u1000"'),
    (b'\xf0\x90\x80\xf0\x90\x80\x80', '"\\xf0\\x90\\x80\U00010000"'),
    (b'\xc3\xa9\xed\xa0\x80\xc3\xa9', '"\xe9\\xed\\xa0\\x80\xe9"'),
    ('\udc80', '"\\x80"'),
    ('\udcff', '"\\xff"'),
    ('\udcc3', '"\\xc3"'),
    ('a\udcffb', '"a\\xffb"'),
    ('\udcc3\udca9', '"\xe9"'),
    ('\udce2\udc82\udcac', '"\u20ac"'),
    ('\udce2\udc82', '"\\xe2\\x82"'),
    ('\ud800', '"\\xed\\xa0\\x80"'),
    ('\udbff', '"\\xed\\xaf\\xbf"'),
    ('\udc00', '"\\xed\\xb0\\x80"'),
    ('\udc7f', '"\\xed\\xb1\\xbf"'),
    ('\udfff', '"\\xed\\xbf\\xbf"'),
    ('\ud83d\ude00', '"\\xed\\xa0\\xbd\\xed\\xb8\\x80"'),
    ('\udced\udca0\udc80', '"\\xed\\xa0\\x80"'),
    ('x\ud800\udcffy', '"x\\xed\\xa0\\x80\\xffy"'),
    ('\udcc3\xa9', '"\\xc3\xa9"'),
    ('\ufffd\udcff', '"\ufffd\\xff"'),
]

# (input, strings.ToUpper output)
UPPER_VECTORS = [
    ('', ''),
    ('ehlo', 'EHLO'),
    ('EHLO', 'EHLO'),
    ('MiXeD 123 !@#', 'MIXED 123 !@#'),
    ('auth plain', 'AUTH PLAIN'),
    ('z{|}~`', 'Z{|}~`'),
    ('\x00a\x7f', '\x00A\x7f'),
    ('stra\xdfe', 'STRA\xdfE'),
    ('\ufb01', '\ufb01'),
    ('\ufb00\ufb01\ufb02\ufb03', '\ufb00\ufb01\ufb02\ufb03'),
    ('\u0149', '\u0149'),
    ('\u01f0', '\u01f0'),
    ('\u0390', '\u0390'),
    ('\u1e96', '\u1e96'),
    ('\u1f50', '\u1f50'),
    ('\u1f80', '\u1f88'),
    ('\u1f88', '\u1f88'),
    ('\u1fb3', '\u1fbc'),
    ('\u1fbc', '\u1fbc'),
    ('\u1fc3', '\u1fcc'),
    ('\u1ff3', '\u1ffc'),
    ('\u0587', '\u0587'),
    ('\u01c4', '\u01c4'),
    ('\u01c5', '\u01c4'),
    ('\u01c6', '\u01c4'),
    ('\u01c7', '\u01c7'),
    ('\u01c8', '\u01c7'),
    ('\u01c9', '\u01c7'),
    ('\u01cb', '\u01ca'),
    ('\u01f2', '\u01f1'),
    ('\u017f', 'S'),
    ('\u0131', 'I'),
    ('\u0130', '\u0130'),
    ('\xb5', '\u039c'),
    ('\xff', '\u0178'),
    ('\u0345', '\u0399'),
    ('\u03c2', '\u03a3'),
    ('\u03d0', '\u0392'),
    ('\u1e9b', '\u1e60'),
    ('\u1e9e', '\u1e9e'),
    ('\u2126', '\u2126'),
    ('\u212a', '\u212a'),
    ('\u2170', '\u2160'),
    ('\u24d0', '\u24b6'),
    ('\uff41', '\uff21'),
    ('\U00010428', '\U00010400'),
    ('\U000104d8', '\U000104b0'),
    ('\U00010cc0', '\U00010c80'),
    ('\U000118c0', '\U000118a0'),
    ('\U00016e60', '\U00016e40'),
    ('\U0001e922', '\U0001e900'),
    ('\u10d0', '\u1c90'),
    ('\u10fd', '\u1cbd'),
    ('\u1c80', '\u0412'),
    ('\u0250', '\u2c6f'),
    ('\u0265', '\ua78d'),
    ('\u0266', '\ua7aa'),
    ('\u026b', '\u2c62'),
    ('\u0280', '\u01a6'),
    ('\u0292', '\u01b7'),
    ('\u1d79', '\ua77d'),
    ('\u1d7d', '\u2c63'),
    ('\u1d8e', '\ua7c6'),
    ('\u2c65', '\u023a'),
    ('\u2c66', '\u023e'),
    ('\ua794', '\ua7c4'),
    ('\uab53', '\ua7b3'),
    ('\uab70', '\u13a0'),
    ('\u13f8', '\u13f0'),
    ('\u0560', '\u0560'),
    ('\u0588', '\u0588'),
    ('\u1f00', '\u1f08'),
    ('\u03ac', '\u0386'),
    ('\u0434\u0436', '\u0414\u0416'),
    ('\xe9\xe8\xea', '\xc9\xc8\xca'),
    ('i\u0307', 'I\u0307'),
    ('i\u0131', 'II'),
    ('x\udcffy', 'X\ufffdY'),
    ('\udcc3\udca9', '\xc9'),
    ('\udcc3', '\ufffd'),
    ('\ud800', '\ufffd\ufffd\ufffd'),
    ('\ufffd', '\ufffd'),
    ('caf\xe9\udcff', 'CAF\xc9\ufffd'),
    ('\u019b', '\ua7dc'),
    ('\u0264', '\ua7cb'),
    ('\u1c8a', '\u1c89'),
    ('\u1f81', '\u1f89'),
    ('\u1f82', '\u1f8a'),
    ('\u1f83', '\u1f8b'),
    ('\u1f84', '\u1f8c'),
    ('\u1f85', '\u1f8d'),
    ('\u1f86', '\u1f8e'),
    ('\u1f87', '\u1f8f'),
    ('\u1f90', '\u1f98'),
    ('\u1f91', '\u1f99'),
    ('\u1f92', '\u1f9a'),
    ('\u1f93', '\u1f9b'),
    ('\u1f94', '\u1f9c'),
    ('\u1f95', '\u1f9d'),
    ('\u1f96', '\u1f9e'),
    ('\u1f97', '\u1f9f'),
    ('\u1fa0', '\u1fa8'),
    ('\u1fa1', '\u1fa9'),
    ('\u1fa2', '\u1faa'),
    ('\u1fa3', '\u1fab'),
    ('\u1fa4', '\u1fac'),
    ('\u1fa5', '\u1fad'),
    ('\u1fa6', '\u1fae'),
    ('\u1fa7', '\u1faf'),
    ('\ua7cd', '\ua7cc'),
    ('\ua7cf', '\ua7ce'),
    ('\ua7d3', '\ua7d2'),
    ('\ua7d5', '\ua7d4'),
    ('\ua7db', '\ua7da'),
    ('\U00010d70', '\U00010d50'),
    ('\U00010d71', '\U00010d51'),
    ('\U00010d72', '\U00010d52'),
    ('\U00010d73', '\U00010d53'),
    ('\U00010d74', '\U00010d54'),
    ('\U00010d75', '\U00010d55'),
    ('\U00010d76', '\U00010d56'),
    ('\U00010d77', '\U00010d57'),
    ('\U00010d78', '\U00010d58'),
    ('\U00010d79', '\U00010d59'),
    ('\U00010d7a', '\U00010d5a'),
    ('\U00010d7b', '\U00010d5b'),
    ('\U00010d7c', '\U00010d5c'),
    ('\U00010d7d', '\U00010d5d'),
    ('\U00010d7e', '\U00010d5e'),
    ('\U00010d7f', '\U00010d5f'),
    ('\U00010d80', '\U00010d60'),
    ('\U00010d81', '\U00010d61'),
    ('\U00010d82', '\U00010d62'),
    ('\U00010d83', '\U00010d63'),
    ('\U00010d84', '\U00010d64'),
    ('\U00010d85', '\U00010d65'),
    ('\U00016ebb', '\U00016ea0'),
    ('\U00016ebc', '\U00016ea1'),
    ('\U00016ebd', '\U00016ea2'),
    ('\U00016ebe', '\U00016ea3'),
    ('\U00016ebf', '\U00016ea4'),
    ('\U00016ec0', '\U00016ea5'),
    ('\U00016ec1', '\U00016ea6'),
    ('\U00016ec2', '\U00016ea7'),
    ('\U00016ec3', '\U00016ea8'),
    ('\U00016ec4', '\U00016ea9'),
    ('\U00016ec5', '\U00016eaa'),
    ('\U00016ec6', '\U00016eab'),
    ('\U00016ec7', '\U00016eac'),
    ('\U00016ec8', '\U00016ead'),
    ('\U00016ec9', '\U00016eae'),
    ('\U00016eca', '\U00016eaf'),
    ('\U00016ecb', '\U00016eb0'),
    ('\U00016ecc', '\U00016eb1'),
    ('\U00016ecd', '\U00016eb2'),
    ('\U00016ece', '\U00016eb3'),
    ('\U00016ecf', '\U00016eb4'),
    ('\U00016ed0', '\U00016eb5'),
    ('\U00016ed1', '\U00016eb6'),
    ('\U00016ed2', '\U00016eb7'),
    ('\U00016ed3', '\U00016eb8'),
    ('a', 'A'),
    ('p', 'P'),
    ('\xe3', '\xc3'),
    ('\xf2', '\xd2'),
    ('\u0105', '\u0104'),
    ('\u0123', '\u0122'),
    ('\u0142', '\u0141'),
    ('\u0161', '\u0160'),
    ('\u01a8', '\u01a7'),
    ('\u01d0', '\u01cf'),
    ('\u01ed', '\u01ec'),
    ('\u020d', '\u020c'),
    ('\u022d', '\u022c'),
    ('\u0252', '\u2c70'),
    ('\u0269', '\u0196'),
    ('\u028a', '\u01b1'),
    ('\u03ae', '\u0389'),
    ('\u03be', '\u039e'),
    ('\u03cd', '\u038e'),
    ('\u03e9', '\u03e8'),
    ('\u0434', '\u0414'),
    ('\u0443', '\u0423'),
    ('\u0452', '\u0402'),
    ('\u0463', '\u0462'),
    ('\u0481', '\u0480'),
    ('\u04a7', '\u04a6'),
    ('\u04c6', '\u04c5'),
    ('\u04e3', '\u04e2'),
    ('\u0501', '\u0500'),
    ('\u051f', '\u051e'),
    ('\u0567', '\u0537'),
    ('\u0576', '\u0546'),
    ('\u0585', '\u0555'),
    ('\u10dd', '\u1c9d'),
    ('\u10ec', '\u1cac'),
    ('\u1c86', '\u042a'),
    ('\u1e11', '\u1e10'),
    ('\u1e2f', '\u1e2e'),
    ('\u1e4d', '\u1e4c'),
    ('\u1e6b', '\u1e6a'),
    ('\u1e89', '\u1e88'),
    ('\u1eaf', '\u1eae'),
    ('\u1ecd', '\u1ecc'),
    ('\u1eeb', '\u1eea'),
    ('\u1f04', '\u1f0c'),
    ('\u1f25', '\u1f2d'),
    ('\u1f44', '\u1f4c'),
    ('\u1f71', '\u1fbb'),
    ('\u1fe1', '\u1fe9'),
    ('\u217b', '\u216b'),
    ('\u24d9', '\u24bf'),
    ('\u24e8', '\u24ce'),
    ('\u2c3d', '\u2c0d'),
    ('\u2c4c', '\u2c1c'),
    ('\u2c5b', '\u2c2b'),
    ('\u2c85', '\u2c84'),
    ('\u2ca3', '\u2ca2'),
    ('\u2cc1', '\u2cc0'),
    ('\u2cdf', '\u2cde'),
    ('\u2d09', '\u10a9'),
    ('\u2d18', '\u10b8'),
    ('\u2d2d', '\u10cd'),
    ('\ua65d', '\ua65c'),
    ('\ua68d', '\ua68c'),
    ('\ua733', '\ua732'),
    ('\ua751', '\ua750'),
    ('\ua76f', '\ua76e'),
    ('\ua79d', '\ua79c'),
    ('\ua7c8', '\ua7c7'),
    ('\uab73', '\u13a3'),
    ('\uab82', '\u13b2'),
    ('\uab91', '\u13c1'),
    ('\uaba0', '\u13d0'),
    ('\uabaf', '\u13df'),
    ('\uabbe', '\u13ee'),
    ('\uff4e', '\uff2e'),
    ('\U0001042a', '\U00010402'),
    ('\U00010439', '\U00010411'),
    ('\U00010448', '\U00010420'),
    ('\U000104df', '\U000104b7'),
    ('\U000104ee', '\U000104c6'),
    ('\U00010598', '\U00010571'),
    ('\U000105a8', '\U00010581'),
    ('\U000105b8', '\U00010591'),
    ('\U00010ccb', '\U00010c8b'),
    ('\U00010cda', '\U00010c9a'),
    ('\U00010ce9', '\U00010ca9'),
    ('\U000118cd', '\U000118ad'),
    ('\U000118dc', '\U000118bc'),
    ('\U00016e6b', '\U00016e4b'),
    ('\U00016e7a', '\U00016e5a'),
    ('\U0001e930', '\U0001e90e'),
    ('\U0001e93f', '\U0001e91d'),
]

# (input, strings.TrimSpace output as bytes).  str inputs mean go_bytes(input).
TRIM_VECTORS = [
    ('', b''),
    (' ', b''),
    ('  x  ', b'x'),
    ('\t\n\x0b\x0c\r x \r\n', b'x'),
    ('x', b'x'),
    (' a b ', b'a b'),
    ('\x1c\x1d\x1e\x1fx\x1f', b'\x1c\x1d\x1e\x1fx\x1f'),
    ('\x00 x \x00', b'\x00 x \x00'),
    ('\u180e x \u180e', b'\xe1\xa0\x8e x \xe1\xa0\x8e'),
    ('\u200b x \u200b', b'\xe2\x80\x8b x \xe2\x80\x8b'),
    ('\ufeff x \ufeff', b'\xef\xbb\xbf x \xef\xbb\xbf'),
    ('\u2060x\u2060', b'\xe2\x81\xa0x\xe2\x81\xa0'),
    ('\x85\xa0x\xa0\x85', b'x'),
    (' \u3000', b''),
    ('\u3000\u3000', b''),
    (' \udcff ', b'\xff'),
    ('\udce2\udc80\udca8x\udce2\udc80\udca8', b'x'),
    (' \udce2\udc80 ', b'\xe2\x80'),
    ('\ud800 ', b'\xed\xa0\x80'),
    (' \xe9 ', b'\xc3\xa9'),
    ('\u2028\u2029 x\u2029', b'x'),
    (' \ufffd ', b'\xef\xbf\xbd'),
    ('\u1680\u2000x\u200a\u205f', b'x'),
    ('\tx', b'x'),
    ('x\t', b'x'),
    ('\tx y\t', b'x y'),
    ('\t\t\t', b''),
    ('\nx', b'x'),
    ('x\n', b'x'),
    ('\nx y\n', b'x y'),
    ('\n\n\n', b''),
    ('\x0bx', b'x'),
    ('x\x0b', b'x'),
    ('\x0bx y\x0b', b'x y'),
    ('\x0b\x0b\x0b', b''),
    ('\x0cx', b'x'),
    ('x\x0c', b'x'),
    ('\x0cx y\x0c', b'x y'),
    ('\x0c\x0c\x0c', b''),
    ('\rx', b'x'),
    ('x\r', b'x'),
    ('\rx y\r', b'x y'),
    ('\r\r\r', b''),
    (' x', b'x'),
    ('x ', b'x'),
    (' x y ', b'x y'),
    ('   ', b''),
    ('\x85x', b'x'),
    ('x\x85', b'x'),
    ('\x85x y\x85', b'x y'),
    ('\x85\x85\x85', b''),
    ('\xa0x', b'x'),
    ('x\xa0', b'x'),
    ('\xa0x y\xa0', b'x y'),
    ('\xa0\xa0\xa0', b''),
    ('\u1680x', b'x'),
    ('x\u1680', b'x'),
    ('\u1680x y\u1680', b'x y'),
    ('\u1680\u1680\u1680', b''),
    ('\u2000x', b'x'),
    ('x\u2000', b'x'),
    ('\u2000x y\u2000', b'x y'),
    ('\u2000\u2000\u2000', b''),
    ('\u2001x', b'x'),
    ('x\u2001', b'x'),
    ('\u2001x y\u2001', b'x y'),
    ('\u2001\u2001\u2001', b''),
    ('\u2002x', b'x'),
    ('x\u2002', b'x'),
    ('\u2002x y\u2002', b'x y'),
    ('\u2002\u2002\u2002', b''),
    ('\u2003x', b'x'),
    ('x\u2003', b'x'),
    ('\u2003x y\u2003', b'x y'),
    ('\u2003\u2003\u2003', b''),
    ('\u2004x', b'x'),
    ('x\u2004', b'x'),
    ('\u2004x y\u2004', b'x y'),
    ('\u2004\u2004\u2004', b''),
    ('\u2005x', b'x'),
    ('x\u2005', b'x'),
    ('\u2005x y\u2005', b'x y'),
    ('\u2005\u2005\u2005', b''),
    ('\u2006x', b'x'),
    ('x\u2006', b'x'),
    ('\u2006x y\u2006', b'x y'),
    ('\u2006\u2006\u2006', b''),
    ('\u2007x', b'x'),
    ('x\u2007', b'x'),
    ('\u2007x y\u2007', b'x y'),
    ('\u2007\u2007\u2007', b''),
    ('\u2008x', b'x'),
    ('x\u2008', b'x'),
    ('\u2008x y\u2008', b'x y'),
    ('\u2008\u2008\u2008', b''),
    ('\u2009x', b'x'),
    ('x\u2009', b'x'),
    ('\u2009x y\u2009', b'x y'),
    ('\u2009\u2009\u2009', b''),
    ('\u200ax', b'x'),
    ('x\u200a', b'x'),
    ('\u200ax y\u200a', b'x y'),
    ('\u200a\u200a\u200a', b''),
    ('\u2028x', b'x'),
    ('x\u2028', b'x'),
    ('\u2028x y\u2028', b'x y'),
    ('\u2028\u2028\u2028', b''),
    ('\u2029x', b'x'),
    ('x\u2029', b'x'),
    ('\u2029x y\u2029', b'x y'),
    ('\u2029\u2029\u2029', b''),
    ('\u202fx', b'x'),
    ('x\u202f', b'x'),
    ('\u202fx y\u202f', b'x y'),
    ('\u202f\u202f\u202f', b''),
    ('\u205fx', b'x'),
    ('x\u205f', b'x'),
    ('\u205fx y\u205f', b'x y'),
    ('\u205f\u205f\u205f', b''),
    ('\u3000x', b'x'),
    ('x\u3000', b'x'),
    ('\u3000x y\u3000', b'x y'),
    ('\u3000\u3000\u3000', b''),
    ('\x1cx\x1c', b'\x1cx\x1c'),
    ('\x1dx\x1d', b'\x1dx\x1d'),
    ('\x1ex\x1e', b'\x1ex\x1e'),
    ('\x1fx\x1f', b'\x1fx\x1f'),
    ('\u180ex\u180e', b'\xe1\xa0\x8ex\xe1\xa0\x8e'),
    ('\u200bx\u200b', b'\xe2\x80\x8bx\xe2\x80\x8b'),
    ('\ufeffx\ufeff', b'\xef\xbb\xbfx\xef\xbb\xbf'),
    ('\u200cx\u200c', b'\xe2\x80\x8cx\xe2\x80\x8c'),
    ('\u200dx\u200d', b'\xe2\x80\x8dx\xe2\x80\x8d'),
    ('\u2007x\u2007', b'x'),
    ('\u2008x\u2008', b'x'),
    (b' \xff ', b'\xff'),
    (b'\xe2\x80\xa8x\xe2\x80', b'x\xe2\x80'),
    (b'\x80\xe2\x80\xa8', b'\x80'),
    (b'\xe3\x80\x80\xc2\x85x\xc2\xa0 \xff', b'x\xc2\xa0 \xff'),
    (b'\xc2 ', b'\xc2'),
    (b' \xa0', b'\xa0'),
]


# ---------------------------------------------------------------------------
# A decoder for Go double-quoted string literals, written for these tests.

_GO_SIMPLE_ESCAPES = {
    "a": b"\a", "b": b"\b", "f": b"\f", "n": b"\n", "r": b"\r",
    "t": b"\t", "v": b"\v", "\\": b"\\", '"': b'"',
}


def unquote(lit: str) -> bytes:
    """Return the bytes a Go interpreted string literal denotes."""
    assert len(lit) >= 2 and lit[0] == '"' and lit[-1] == '"', lit
    body = lit[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == '"':
            raise ValueError("unescaped quote in %r" % lit)
        if ch != "\\":
            assert not 0xD800 <= ord(ch) <= 0xDFFF, "surrogate in output"
            out += ch.encode("utf-8")
            i += 1
            continue
        kind = body[i + 1]
        if kind in _GO_SIMPLE_ESCAPES:
            out += _GO_SIMPLE_ESCAPES[kind]
            i += 2
        elif kind in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[kind]
            digits = body[i + 2:i + 2 + width]
            assert re.fullmatch("[0-9a-f]{%d}" % width, digits), lit
            value = int(digits, 16)
            if kind == "x":
                out.append(value)
            else:
                out += chr(value).encode("utf-8")
            i += 2 + width
        else:
            raise ValueError("unknown escape \\%s in %r" % (kind, lit))
    return bytes(out)


# ---------------------------------------------------------------------------
# Vectors from Go.


@pytest.mark.parametrize("value, expected", QUOTE_VECTORS)
def test_quote_vectors(value, expected):
    assert go_quote(value) == expected


@pytest.mark.parametrize("value, expected", QUOTE_VECTORS)
def test_quote_vectors_other_input_type(value, expected):
    if isinstance(value, bytes):
        other = value.decode("utf-8", "surrogateescape")
    else:
        other = go_bytes(value)
    assert go_quote(other) == expected
    assert go_quote(bytearray(go_bytes(value))) == expected
    assert unquote(expected) == go_bytes(value)


@pytest.mark.parametrize("value, expected", UPPER_VECTORS)
def test_upper_vectors(value, expected):
    assert go_upper(value) == expected


@pytest.mark.parametrize("value, expected", TRIM_VECTORS)
def test_trim_space_vectors(value, expected):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    assert go_bytes(go_trim_space(value)) == expected


def test_vector_tables_are_substantial():
    assert len(QUOTE_VECTORS) > 300
    assert len(UPPER_VECTORS) > 200
    assert len(TRIM_VECTORS) > 100


# ---------------------------------------------------------------------------
# Hand-checked examples that document the behaviour.


def test_quote_examples():
    assert go_quote("") == '""'
    assert go_quote('say "hi"\\') == '"say \\"hi\\"\\\\"'
    assert go_quote("\a\b\f\n\r\t\v") == '"\\a\\b\\f\\n\\r\\t\\v"'
    assert go_quote("\x00\x1b\x7f") == '"\\x00\\x1b\\x7f"'
    assert go_quote("\x80\xa0\xad\xe9") == '"\\u0080\\u00a0\\u00ad\xe9"'
    assert go_quote("\u3000 \u2028") == '"\\u3000 \\u2028"'
    assert go_quote("\U000e0001\U0010ffff") == '"\\U000e0001\\U0010ffff"'
    assert go_quote("\ufffd") == '"\ufffd"'
    assert go_quote(b"\xef\xbf\xbd\xff") == '"\ufffd\\xff"'
    # Encoded surrogates, overlong forms and 5/6-byte forms: byte by byte.
    assert go_quote(b"\xed\xa0\x80") == '"\\xed\\xa0\\x80"'
    assert go_quote(b"\xc0\xaf") == '"\\xc0\\xaf"'
    assert go_quote(b"\xf8\x88\x80\x80\x80") == '"\\xf8\\x88\\x80\\x80\\x80"'


def test_quote_lone_surrogates_in_text():
    # surrogateescape: one invalid byte each.
    assert go_quote("a\udcffb") == '"a\\xffb"'
    # Other lone surrogates stand for their surrogatepass encoding.
    assert go_quote("\ud800") == '"\\xed\\xa0\\x80"'
    assert go_quote("\udc7f") == '"\\xed\\xb1\\xbf"'
    # Escapes that together spell valid UTF-8 are read as that character,
    # as Go reads the concatenated bytes.
    assert go_quote("\udcc3\udca9") == '"\xe9"'


def test_upper_examples():
    assert go_upper("") == ""
    assert go_upper("abc") == "ABC"
    assert go_upper("\xdf\ufb01\u0149") == "\xdf\ufb01\u0149"
    assert go_upper("\u01c6\u01c5") == "\u01c4\u01c4"
    assert go_upper("\u017f\u0131\xb5\xff") == "SI\u039c\u0178"
    assert go_upper("\u1fb3") == "\u1fbc"
    assert go_upper("a\udcffb") == "A\ufffdB"
    assert go_upper("\udcc3\udca9") == "\xc9"
    assert go_upper("\ud800") == "\ufffd\ufffd\ufffd"


def test_trim_space_examples():
    assert go_trim_space("") == ""
    assert go_trim_space(" \t\r\n\v\f") == ""
    assert go_trim_space("\x1c x \x1f") == "\x1c x \x1f"
    assert go_trim_space("\u180e\u200b\ufeffx") == "\u180e\u200b\ufeffx"
    assert go_trim_space("\x85\xa0\u3000x\u2029") == "x"
    assert go_trim_space(" \udcff ") == "\udcff"
    assert go_trim_space("x\udce2\udc80\udca8") == "x"


def test_results_do_not_depend_on_python_unicode_version():
    # Code points that only newer Unicode versions assign; Go 1.27 knows them.
    assert go_quote("\U0001fa75") == '"\U0001fa75"'  # Unicode 15
    assert go_quote("\U0001cc00") == '"\U0001cc00"'  # Unicode 16
    assert go_quote("\U0001e6c0") == '"\U0001e6c0"'  # Unicode 17
    assert go_upper("\U00010d70") == "\U00010d50"  # Unicode 16 (Garay)
    assert go_upper("\ua7cb") == "\ua7cb"
    assert unicodedata.unidata_version  # the running version is irrelevant


# ---------------------------------------------------------------------------
# Properties.

_SURROGATE_ESCAPES = st.integers(0xDC80, 0xDCFF).map(chr)
_ANY_CODE_POINT = st.integers(0, 0x10FFFF).map(chr)
_INTERESTING = st.sampled_from(
    list('"\\\a\b\f\n\r\t\v\x00\x7f \x85\xa0\xad\u2028\u3000\ufffd\ufeff')
    + ["\ud800", "\udbff", "\udc00", "\udc7f", "\U0010ffff", "\U000e0001"]
)
texts = st.text(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        _ANY_CODE_POINT,
        _SURROGATE_ESCAPES,
        _INTERESTING,
    )
)
_BYTE_CHOICES = st.one_of(
    st.integers(0, 255),
    st.sampled_from([0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]),
)
raw_bytes = st.one_of(
    st.binary(),
    st.lists(_BYTE_CHOICES).map(bytes),
    texts.map(go_bytes),
)


@settings(max_examples=500)
@given(texts)
@example("\udcc3\udca9")
@example("\ud83d\ude00")
def test_quote_round_trips_text(s):
    q = go_quote(s)
    assert unquote(q) == go_bytes(s)
    assert q == go_quote(go_bytes(s))


@settings(max_examples=500)
@given(raw_bytes)
def test_quote_round_trips_bytes(b):
    q = go_quote(b)
    assert unquote(q) == b
    q.encode("utf-8")  # never contains a surrogate
    assert all(" " <= ch <= "~" for ch in q if ch.isascii())


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_quote_printable_ascii_is_kept(s):
    expected = '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert go_quote(s) == expected


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_upper_ascii_matches_str_upper(s):
    assert go_upper(s) == s.upper()


@settings(max_examples=300)
@given(texts)
def test_upper_is_per_rune(s):
    canonical = go_bytes(s).decode("utf-8", "surrogateescape")
    up = go_upper(s)
    assert up == go_upper(canonical)
    assert len(up) == len(canonical)
    assert up == "".join(go_upper(ch) for ch in canonical)
    up.encode("utf-8")  # invalid bytes became U+FFFD
    assert go_upper(re.sub("[\udc80-\udcff]", "\ufffd", canonical)) == up


@settings(max_examples=300)
@given(texts)
def test_trim_space_strips_exactly_go_space(s):
    canonical = go_bytes(s).decode("utf-8", "surrogateescape")
    trimmed = go_trim_space(s)
    assert trimmed == canonical.strip(GO_SPACE)
    assert not trimmed or (trimmed[0] not in GO_SPACE and trimmed[-1] not in GO_SPACE)


@given(st.text(st.characters(max_codepoint=0x7F)))
def test_trim_space_ascii(s):
    assert go_trim_space(s) == s.strip(" \t\n\v\f\r")
