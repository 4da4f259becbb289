#[[go.std.net.mail: Go's net/mail (addresses, dates, message headers), as Joker exposes it, for Hy.

    (import go-std.net.mail :as mail)
    (setv from (mail.Address {"Name" "Åsa" "Address" "asa@example.com"}))
    (.String from)                   ; => "=?utf-8?q?=C3=85sa?= <asa@example.com>"
    (setv [a err] (mail.ParseAddress "Joe <joe@example.com>"))
    a.Name                           ; => "Joe"
    (setv [msg err] (mail.ReadMessage "Subject: hi\r\nDate: Sat, 1 Jan 2000 09:05:00 +0000\r\n\r\nbody"))
    (.Get msg.Header "subject")      ; => "hi"
    (.Date msg.Header)               ; => [datetime err]

Exact to Go 1.27.3, error texts included (`mail: missing @ in addr-spec`,
`mail: no angle-addr`, `mail: header not in message`); the rules live in
`smtp_core.gocompat.gomail`, `smtp_core.gocompat.godate` and `smtp_core.gocompat.gomessage`, checked
against answers Go wrote (`tests/helpers/govectors/mail_*.json`). The classes,
converters and calls the table names are in `go-std.net._mail-impl`.]]

(require go-std.joker.macros [defgo defmembers defgotype])
(import go-std.net [read-pair])
(import go-std.joker [Namespace])
;; What the table names: the implementation classes, calls and converters (conv-<Hint>).
(import go-std.net._mail-impl [GoAddress GoHeader GoBody GoMessage address-maker
                               parse-address parse-address-list parse-date read-message
                               header-get header-date header-address-list address-text
                               conv-Reader])

(setv __joker_ns__
  (Namespace "go.std.net.mail" __name__
             "Implements parsing of mail messages as Go's net/mail does: addresses (RFC 5322, with RFC 2047 encoded words in names), address lists and groups, dates, and a message's header and body."
             ["Conventions (Joker's): two results come back as `[result err]`; errors are returned exception values whose text is Go's; a wrong argument type or count raises at once."
              "Beyond Joker's reach: ParseDate and Header's Date return a Python datetime (aware, its tzinfo named as Go names the zone; microseconds, where Go keeps nanoseconds); a year 0 or a zone offset of 24 hours, which Go's time.Time holds and datetime cannot, comes back as an error. ReadMessage takes the message as bytes or a string (or anything with a read method) rather than an io.Reader; Body is a reader with Go's Read."]))

;; ------------------------------------------------------------ the table: functions

(defgo function ParseAddress [address String "string"]
  :doc #[[Parses one RFC 5322 address: "Joe <joe@example.com>", "joe@example.com (Joe)", "\"Joe Q.\" <joe@example.com>", an encoded-word name ("=?utf-8?q?J=C3=B6rg?= <j@example.com>"). Errors are Go's: "mail: missing @ in addr-spec", "mail: no angle-addr", "mail: expected single address, got \"...\"".]]
  :result pair :returns "*Address"
  :call parse-address)

(defgo function ParseAddressList [list String "string"]
  :doc "Parses a list of addresses separated by commas, groups (\"Team: a@example.com, b@example.com;\") flattened into it."
  :result pair :returns "[]*Address"
  :call parse-address-list)

(defgo function ParseDate [date String "string"]
  :doc #[[Parses an RFC 5322 date ("Sat, 1 Jan 2000 09:05:00 +0000", "1 Jan 00 09:05 GMT", a comment after it) as Go does, into an aware datetime; "mail: header could not be parsed" otherwise.]]
  :result pair :returns "time.Time"
  :call parse-date)

(defgo function ReadMessage [r Reader "io.Reader"]
  :doc "Reads a message (bytes, a string, or anything with a read method): its header as Go's textproto reads it (continuation lines joined, keys canonical) and the rest as Body. A message that ends inside the header has an empty body; empty input is EOF."
  :result pair :returns "*Message"
  :call read-message)

;; ------------------------------------------------------------ the table: members

(defmembers receiver "*Address" GoAddress
  (String []
    :self a
    :doc #[[The address as a header value, formatted as Go does: "<joe@example.com>", "\"Joe Q. Public\" <joe@example.com>", a name that is not printable ASCII as an RFC 2047 encoded word, a local part quoted where it needs it.]]
    :result value :returns "String"
    :call address-text))

(defmembers method "Header" GoHeader
  (Get [key String "string"]
    :self h
    :doc "The first value of header key (any letter case), or \"\"."
    :result value :returns "String"
    :call header-get)

  (Date []
    :self h
    :doc "The Date header, parsed as ParseDate does; \"mail: header not in message\" without one."
    :go-returns "(time.Time, error)"
    :result as-is :joker-returns "[^time.Time, ^Error]"
    :call header-date)

  (AddressList [key String "string"]
    :self h
    :doc "The addresses of header key (To, Cc, ...), parsed as ParseAddressList does; \"mail: header not in message\" without it."
    :go-returns "([]*Address, error)"
    :result as-is :joker-returns "[^[]*Address, ^Error]"
    :call header-address-list))

(defmembers method "io.Reader" GoBody
  (Read [b mutableArrayOfByte "[]byte"]
    :self body
    :doc "Fills b (a bytearray) with the next bytes of the body; [n err], err EOF at the end."
    :go-returns "(n int, err error)"
    :result as-is :joker-returns "[^Int, ^Error]"
    :call read-pair))

;; ------------------------------------------------------------ the table: types

(setv ADDRESS-DOC #[[A mail address: Name (may be empty) and Address (user@domain). Build one from a map or keyword arguments with Go's field names, (Address {"Name" "Åsa" "Address" "asa@example.com"}); (.String a) formats it for a header as Go does.]])

(defgotype *Address :kind type :impl GoAddress :doc ADDRESS-DOC :make (address-maker "*Address")
  :usage "(*Address {\"Name\" name \"Address\" address})")
(defgotype Address :kind type :impl GoAddress :doc ADDRESS-DOC :make (address-maker "Address")
  :usage "(Address {\"Name\" name \"Address\" address})")
(defgotype Header :kind type :impl GoHeader
  :doc "A message header: a map of canonical keys to lists of values, with Get, Date and AddressList."
  :no-make "a Message's Header is one")
(defgotype *Message :kind type :impl GoMessage
  :doc "A parsed message: Header and Body (a reader; (.Read msg.Body buf) => [n err])."
  :no-make "make one with ReadMessage")
(defgotype Message :kind type :impl GoMessage
  :doc "The Message struct; ReadMessage returns a *Message."
  :no-make "make one with ReadMessage")

(setv PtrAddress (.alias __joker_ns__ "PtrAddress" "*Address")
      PtrMessage (.alias __joker_ns__ "PtrMessage" "*Message"))

(setv __all__ (.exports __joker_ns__))
