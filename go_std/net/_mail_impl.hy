#[[The implementation behind go.std.net.mail's table: its classes, converters and calls.

`go_std/net/mail.hy` is the namespace's docstring and its table; what the
table names (`GoAddress`, `parse-address`, `conv-Reader`, ...) is defined
here. Behaviour lives in `smtp_core.gocompat.gomail`, `smtp_core.gocompat.godate` and
`smtp_core.gocompat.gomessage`; this module gives it Joker's shapes: Go-named
fields, `[result err]` pairs, a Python datetime for Go's time.Time.

    (import go-std.net._mail-impl [parse-address])
    (. (parse-address "Joe <joe@example.com>") Name)   ; => "Joe"]]

;; `unless` at compile time only: importing hyrule would cost every namespace import.
(eval-when-compile (require hyrule [unless]))
(import smtp-core.gocompat.gomail :as gomail)
(import smtp-core.gocompat.godate :as godate)
(import smtp-core.gocompat.gomessage :as gomessage)
(import smtp-core.errors [ServerClosed])
(import go-std.joker [ArgumentError arg-error joker-type-name register-failures struct-maker])

;; ------------------------------------------------------------ implementation classes

(defclass GoAddress []
  #[[A mail address with Go's fields: Name (may be empty) and Address (user@domain).

      (setv a (GoAddress "Joe" "joe@example.com"))
      a.Name      ; => "Joe"]]
  (defn __init__ [self [Name ""] [Address ""]]
    (setv self.Name Name self.Address Address))
  (defn __eq__ [self other]
    (and (isinstance other GoAddress) (= #(self.Name self.Address) #(other.Name other.Address))))
  (defn __hash__ [self] (hash #(self.Name self.Address)))
  (defn __repr__ [self] f"<mail.Address {(gomail.address-string (gomail.Address self.Name self.Address))}>"))

(defclass GoHeader [dict]
  "A message header: canonical keys (Content-Type) to their values, in order, as Go's mail.Header.")

(defclass GoBody []
  "A message body as an io.Reader: (.Read body buf) fills a bytearray and returns [n err], EOF at the end."
  (defn __init__ [self data] (setv self.data data self.at 0))
  (defn read [self buf]
    (when (>= self.at (len self.data))
      (if (= (len buf) 0) (return 0) (raise (ServerClosed))))
    (setv chunk (cut self.data self.at (+ self.at (len buf))))
    (setv (cut buf 0 (len chunk)) chunk)
    (+= self.at (len chunk))
    (len chunk))
  (defn __repr__ [self] f"<mail body, {(- (len self.data) self.at)} bytes unread>"))

(defclass GoMessage []
  "A parsed message: Header (a Header) and Body (a reader).")

;; Go's net/mail refusals are returned, as I/O errors are.
(register-failures gomail.MailError godate.DateError gomessage.MessageError)

;; ------------------------------------------------------------ calls with a Joker shape

(defn _go-address [a] (GoAddress a.name a.address))

(defn parse-address [address] (_go-address (gomail.parse-address address)))
(defn parse-address-list [addresses] (lfor a (gomail.parse-address-list addresses) (_go-address a)))

(defn _to-datetime [t]
  (try
    (.datetime t)
    (except [e ValueError]
      (raise (godate.DateError (% "mail: %s (Go's time.Time holds %04d-%02d-%02d, offset %ds; datetime cannot)"
                                  #((str e) t.year t.month t.day t.offset)))))))

(defn parse-date [date] (_to-datetime (godate.parse-date date)))

(defn read-message [r]
  (setv data (if (hasattr r "read") (.read r) r))
  (setv [header body] (gomessage.read-message data))
  (setv msg (GoMessage))
  (setv msg.Header (GoHeader header) msg.Body (GoBody body))
  msg)

(defn header-get [self key] (gomessage.get self key))

(setv _HEADER-NOT-PRESENT "mail: header not in message")

(defn header-date [self]
  (setv value (gomessage.get self "Date"))
  (try
    (if (= value "")
      [None (godate.DateError _HEADER-NOT-PRESENT)]
      [(parse-date value) None])
    (except [e godate.DateError] [None e])))

(defn header-address-list [self key]
  (setv value (gomessage.get self key))
  (try
    (if (= value "")
      [None (gomail.MailError _HEADER-NOT-PRESENT)]
      [(parse-address-list value) None])
    (except [e gomail.MailError] [None e])))

(defn address-text [self] (gomail.address-string (gomail.Address self.Name self.Address)))

(defn conv-Reader [x i name q]
  ;; Go's io.Reader, as this namespace takes it: bytes, a string, or something with read().
  (cond
    (isinstance x #(bytes bytearray memoryview)) (bytes x)
    (isinstance x str) x
    (hasattr x "read") x
    True (raise (arg-error q i name "io.Reader (arrayOfByte, String or a reader)" x))))

(defn address-maker [var-name]
  #[[The constructor of `Address` and `*Address`: from a map, keyword arguments, or both.

      (Address {"Name" "Åsa" "Address" "asa@example.com"})
      (Address :Address "asa@example.com")]]
  (setv q (+ "go.std.net.mail/" var-name))
  (defn build [given]
    (for [[k v] (.items given)]
      (unless (isinstance v str)
        (raise (ArgumentError (+ "Field " k " of " q " must have type String, got " (joker-type-name v))))))
    (GoAddress (.get given "Name" "") (.get given "Address" "")))
  (struct-maker q {"Name" "" "Address" ""} build))
