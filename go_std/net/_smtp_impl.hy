#[[The implementation behind go.std.net.smtp's table: its classes, converters and calls.

`go_std/net/smtp.hy` is the namespace's docstring and its table, in Joker's
index order; what the table names (`GoClient`, `conv-Auth`, `new-client`,
...) is defined here. Behaviour lives in `smtp_core`; this module gives it
Joker's shapes: `[result err]` pairs, Go-named Auth methods, the
converters of the namespace's own hints.

    (import go-std.net._smtp-impl [GoClient] smtp-core.client [Client])
    (issubclass GoClient Client)   ; => True: Go-named receivers over the engine's client]]

;; `unless` at compile time only: importing hyrule would cost every namespace import.
(eval-when-compile (require hyrule [unless]))
(import smtp-core :as core)
(import smtp-core.client [Client :as CoreClient DataWriter])
(import smtp-core.netconn [Conn :as NetConn])
(import smtp-core.errors [SMTPError])
(import go-std.net [conv-go_std_net_Conn])
(import go-std.crypto.tls [config-from :as tls-config-from])
(import go-std.joker [returned register-failures mark-returned ArgumentError arg-error
                      joker-type-name struct-maker])

;; ------------------------------------------------------------ implementation classes

(defclass GoWriter [DataWriter]
  "The message writer `(.Data c)` returns: `(.Write w bytes-or-str)` => `[n err]`, `(.Close w)` => err."

  (defn __repr__ [self]
    (+ "<io.WriteCloser smtp DATA writer, " (if self.closed "closed" "open") ">")))

(defclass GoClient [CoreClient]
  "The implementation behind `*Client`: Go-named receivers over the core client.

  At the REPL a client shows its server, whether the connection is TLS and
  whether it has greeted the server:

      => c
      <*smtp.Client 127.0.0.1 plaintext, not greeted>"

  (setv writer-class GoWriter)

  (defn __repr__ [self]
    ;; The engine's words for the state, under Go's type name.
    (.replace (CoreClient.__repr__ self) "<smtp Client " "<*smtp.Client " 1)))

(defclass GoAuth [core.Auth]
  #[[Go's Auth interface for Hy: subclass it and define

      (Start server)           => [proto to-server err]
      (Next from-server more)  => [to-server err]

  `to-server` is bytes (a str is sent as UTF-8), `None` for nothing (Go's
  nil) or `b""` for an empty response; `err` is `None` or an exception.]]

  (defn start [self server]
    (setv [proto to-server err] (_auth-result self.Start 3 "(Start server)" [server]))
    (when (is-not err None) (raise (_checked-error err)))
    (unless (isinstance proto str)
      (raise (TypeError (+ "(Start server) must return a String proto, got " (joker-type-name proto)))))
    #(proto (_to-server-bytes to-server)))

  (defn next [self from-server more]
    (setv [to-server err] (_auth-result self.Next 2 "(Next from-server more)" [from-server more]))
    (when (is-not err None) (raise (_checked-error err)))
    (_to-server-bytes to-server)))

(defn _auth-result [method n what args]
  (setv r (method #* args))
  (unless (and (isinstance r #(list tuple)) (= (len r) n))
    (raise (TypeError (+ what " must return a " (str n) "-element list, got " (repr r)))))
  r)

(defn _checked-error [err]
  "An Auth's error value, made raisable and recognisable as a returned error."
  (unless (isinstance err BaseException)
    (raise (TypeError (+ "an Auth error value must be an exception, got " (joker-type-name err)))))
  (mark-returned err))

(defn _to-server-bytes [x]
  (cond
    (is x None) None
    (isinstance x bytes) x
    (isinstance x #(bytearray memoryview)) (bytes x)
    (isinstance x str) (.encode x "utf-8")
    True (raise (TypeError (+ "an Auth response must be arrayOfByte or nil, got " (joker-type-name x))))))

(defclass GoPlainAuth [core.PlainAuth GoAuth] "PLAIN, as `PlainAuth` returns it.")
(defclass GoCramMD5Auth [core.CramMD5Auth GoAuth] "CRAM-MD5, as `CRAMMD5Auth` returns it.")

;; A failure of the SMTP conversation is returned, as an I/O error is.
(register-failures SMTPError)

;; ------------------------------------------------------------ converters of this namespace

(defn conv-Auth [x i name q]
  (if (isinstance x core.Auth) x (raise (arg-error q i name "Auth" x))))

(defn conv-AuthOrNil [x i name q]
  ;; Go's nil Auth, which Joker cannot express.
  (if (or (is x None) (isinstance x core.Auth)) x (raise (arg-error q i name "Auth" x))))

(defn conv-*ServerInfo [x i name q]
  (if (isinstance x core.ServerInfo) x (raise (arg-error q i name "*ServerInfo" x))))

;; StartTLS's config: a Config of go.std.crypto.tls or its map, through the same code.
(setv conv-*tls_Config tls-config-from)

;; ------------------------------------------------------------ calls with a Joker shape

(defn connect-client [addr] (core.dial addr :client-class GoClient))

(defn new-client [conn host]
  ;; The client takes a go.std.net or go.std.crypto.tls Conn over; a socket
  ;; (beyond Joker) is used as it is.
  (when (isinstance conn NetConn)
    (try
      (setv conn (.detach conn))  ; a TLS Conn's handshake runs here
      (except [OSError]
        ;; As Go's NewClient: a connection that cannot be greeted is closed.
        (unless conn.closed (.close conn))
        (raise))))
  (GoClient conn host))
(defn extension-pair [self name] (list (.extension self name)))
(defn tls-state-pair [self] (list (.tls-connection-state self)))

(defn write-pair [self p]
  (try
    [(.write self p) None]
    (except [e Exception]
      [(getattr e "bytes_accepted" 0) (returned e)])))

(defn auth-start-default [self server]
  ;; Start of a core mechanism, in Go's shape.  A subclass that defines
  ;; neither Start nor start would loop between the two: say so instead.
  (when (is (. (type self) start) GoAuth.start)
    (raise (NotImplementedError (+ (. (type self) __name__) " must define Start and Next"))))
  (try
    (setv [proto resp] (.start self server))
    [proto resp None]
    (except [e Exception]
      ["" None (returned e)])))

(defn auth-next-default [self from-server more]
  (when (is (. (type self) next) GoAuth.next)
    (raise (NotImplementedError (+ (. (type self) __name__) " must define Start and Next"))))
  (try
    [(.next self from-server more) None]
    (except [e Exception]
      [None (returned e)])))

;; ------------------------------------------------------------ constructors of the table's types

(defn server-info-maker [var-name]
  #[[The constructor of `ServerInfo` or `*ServerInfo`: from one map, from keyword arguments, or both.

      (ServerInfo {:Name "mx" :TLS True :Auth ["PLAIN"]})
      (ServerInfo {"Name" "mx"})
      (ServerInfo :Name "mx" :TLS True)
      (ServerInfo)                      ; Name "", TLS false, Auth nil]]
  (setv q (+ "go.std.net.smtp/" var-name))
  (defn build [given]
    (setv name (.get given "Name" "") tls (.get given "TLS" False) auth (.get given "Auth" None))
    (unless (isinstance name str)
      (raise (ArgumentError (+ "Field Name of " q " must have type String, got " (joker-type-name name)))))
    (unless (isinstance tls bool)
      (raise (ArgumentError (+ "Field TLS of " q " must have type Boolean, got " (joker-type-name tls)))))
    (unless (or (is auth None) (and (isinstance auth #(list tuple)) (all (gfor m auth (isinstance m str)))))
      (raise (ArgumentError (+ "Field Auth of " q " must have type arrayOfString, got " (joker-type-name auth)))))
    (core.ServerInfo name tls auth))
  (struct-maker q {"Name" "" "TLS" False "Auth" None} build))
