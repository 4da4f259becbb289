#[[Arguments in, errors out: how a var checks what it is given.

A converter takes `(value position name qualified-var-name)` and returns the
value the implementation wants, or raises `ArgumentError` naming the var,
the argument and the Joker type expected. Each hint of the table (`String`,
`arrayOfString`, `go.std.net/Conn`, ...) names one converter, `conv-`
plus the hint with dots and slashes as `_`; a namespace adds its own
beside its table (e.g. `conv-*tls_Config`).

    (conv-arrayOfString ["a@example.com"] 3 "to" "go.std.net.smtp/SendMail")
    ; => ["a@example.com"]
    (conv-arrayOfString "a@example.com" 3 "to" "go.std.net.smtp/SendMail")
    ; ArgumentError: Arg[3] (to) of go.std.net.smtp/SendMail must have type
    ;   arrayOfString, got String

Misuse raises at once, as Joker raises; a failure of the call itself
(protocol, reply, I/O) is handed back by `returned` as a value.]]

(import datetime socket)
(import smtp-core.netconn [Conn :as NetConn])

(defclass ArgumentError [TypeError]
  "An argument of the wrong type: a programming error, raised at once.")

(defclass ArityError [TypeError]
  "A call with the wrong number of arguments, raised at once.")

;; Tracebacks and the REPL name them where users import them from.
(setv ArgumentError.__module__ "go_std.joker"
      ArityError.__module__ "go_std.joker")

(defn arity-error [qualified n]
  (ArityError f"Wrong number of args ({n}) passed to {qualified}"))

(setv JOKER-TYPE-NAMES
  {str "String" int "Int" float "Double" bool "Boolean" (type None) "Nil"
   list "Vector" tuple "Vector" dict "Map" bytes "arrayOfByte" bytearray "arrayOfByte"
   set "MapSet" frozenset "MapSet" hy.models.Keyword "Keyword" hy.models.Symbol "Symbol"})

(defn joker-type-name [x]
  #[[The Joker name of a value's type, for error messages.

      (joker-type-name [1]) ; => "Vector"
      (joker-type-name b"") ; => "arrayOfByte"]]
  (setv go-name (getattr (type x) "__go_name__" None))
  (cond
    go-name go-name
    (in (type x) JOKER-TYPE-NAMES) (get JOKER-TYPE-NAMES (type x))
    (isinstance x #(NetConn socket.socket)) "go.std.net/Conn"
    True (. (type x) __name__)))

(defn arg-error [qualified i name expected x [detail ""]]
  (ArgumentError
    f"Arg[{i}] ({name}) of {qualified} must have type {expected}, got {(joker-type-name x)}{detail}"))

(defn returned [e]
  #[[Hand back `e` as an error value if it is a failure of the call; re-raise a bug.

  A failure is an I/O error (`OSError`) or an error whose class (or the
  value itself) says `_go_returned`: the engine's SMTP errors, Go's
  net/mail refusals, an Auth's own error values.]]
  (if (or (isinstance e OSError) (getattr e "_go_returned" False))
    e
    (raise e)))

(defn converter-name [hint]
  #[[The converter a hint names: `conv-` plus the hint, dots and slashes as `_`.

      (converter-name "go.std.net/Conn") ; => "conv-go_std_net_Conn"]]
  (+ "conv-" (.replace (.replace (str hint) "." "_") "/" "_")))

;; Hints whose check is one isinstance test, written inline by `defgo`.
(setv INLINE-CHECKS {"String" "str" "Boolean" "bool"})

(defn conv-String [x i name q]
  (if (isinstance x str) x (raise (arg-error q i name "String" x))))

(defn conv-Boolean [x i name q]
  (if (isinstance x bool) x (raise (arg-error q i name "Boolean" x))))

(defn conv-Int [x i name q]
  (if (and (isinstance x int) (not (isinstance x bool))) x (raise (arg-error q i name "Int" x))))

(defn conv-arrayOfByte [x i name q]
  "Joker's ^arrayOfByte: bytes as they are, a str as its UTF-8 bytes."
  (cond
    (isinstance x bytes) x
    (isinstance x #(bytearray memoryview)) (bytes x)
    (isinstance x str) (.encode x "utf-8" "surrogateescape")
    True (raise (arg-error q i name "arrayOfByte" x))))

(defn conv-arrayOfString [x i name q]
  "Joker's ^arrayOfString: a list or tuple (or vector) of str, never a bare str."
  (when (not (isinstance x #(list tuple)))
    (raise (arg-error q i name "arrayOfString" x)))
  (for [[k v] (enumerate x)]
    (when (not (isinstance v str))
      (raise (arg-error q i name "arrayOfString" x
                        f" (element {k} is {(joker-type-name v)})"))))
  (list x))

(defn conv-mutableArrayOfByte [x i name q]
  "A buffer Go's Read fills: a bytearray (or a writable memoryview), shown as arrayOfByte."
  (if (or (isinstance x bytearray) (and (isinstance x memoryview) (not x.readonly)))
    x
    (raise (arg-error q i name "arrayOfByte (a bytearray, to be filled)" x))))

(defn conv-go_std_net_Conn [x i name q]
  ;; A go.std.net or go.std.crypto.tls Conn; beyond Joker, a Python socket.
  (if (isinstance x #(NetConn socket.socket)) x (raise (arg-error q i name "go.std.net/Conn" x))))

(defn real? [x]
  (and (isinstance x #(int float)) (not (isinstance x bool))))

(defn conv-go_std_time_Time [x i name q]
  #[[Go's time.Time as a deadline: a datetime (naive is local time) or seconds
  since the epoch (Int or Double, as `time.time` gives); nil or 0 is Go's zero
  time. Returns epoch seconds, or None for the zero time.

      (conv-go_std_time_Time 0 1 "t" "q") ; => None]]
  (cond
    (or (is x None) (and (real? x) (= x 0))) None
    (isinstance x datetime.datetime) (.timestamp x)
    (and (real? x) (= x x) (< (abs x) 1e15)) (float x)
    True (raise (arg-error q i name "go.std.time/Time" x
                           " (a datetime, or seconds since the epoch; nil or 0 for none)"))))

(defn conv-go_std_time_Duration [x i name q]
  #[[Go's time.Duration, as Joker passes it: an Int of nanoseconds. Returns seconds.

      (conv-go_std_time_Duration 1500000000 2 "timeout" "q") ; => 1.5]]
  (if (and (isinstance x int) (not (isinstance x bool)) (< (abs x) (** 2 63)))
    (/ x 1e9)
    (raise (arg-error q i name "go.std.time/Duration" x " (Int nanoseconds, int64)"))))
