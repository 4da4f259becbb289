#[[go.std.net.smtp: Go's net/smtp, as Joker exposes it, for Hy.

    (import go-std.net.smtp :as smtp)
    (setv [c err] (smtp.Dial "127.0.0.1:2525"))
    (when err (raise err))
    (.Mail c "me@example.com")
    (.Rcpt c "you@example.com")
    (setv [w err] (.Data c))
    (.Write w "Subject: hi\r\n\r\nhello\r\n")
    (.Close w)
    (.Quit c)

Each var below is declared once, in one table; `go-std.joker` turns each
declaration into the checked wrapper, its metadata and its help text.  The
behaviour lives in `smtp_core`: this module converts, checks and documents.

Conventions (Joker's): several Go results come back as a 2-element list
`[result err]`; a Go function returning only `error` returns `None` or the
error value.  Errors are returned, never raised, and they are exception
instances: `(str err)` is Go's text and `(raise err)` works.  A wrong
argument type or count raises at once.  Beyond Joker: `SendMail` accepts
`None` for no authentication, and a successful error-only call returns
`None` itself.]]

(require go-std.joker.macros [defgo defmembers defgotype])
(import inspect)
(import smtp-core :as core)
(import smtp-core.client [Client :as CoreClient DataWriter])
(import smtp-core.tls [TLSConfig])
(import smtp-core.netconn [Conn :as NetConn])
(import go-std.crypto.tls [config-from :as tls-config-from])
(import go-std.joker [Namespace array-type array-maker returned arity-error
                      ArgumentError arg-error joker-type-name struct-maker])

(setv __joker_ns__
  (Namespace "go.std.net.smtp" __name__
             "Implements the Simple Mail Transfer Protocol (RFC 5321) with the 8BITMIME, AUTH and STARTTLS extensions, as Go's net/smtp does."
             ["Conventions (Joker's): a Go function with two results returns a 2-element list `[result err]`; one returning only `error` returns nil or the error. Errors are returned, never raised: they are exception values whose text is Go's (`(str err)`), and `(raise err)` works. A wrong argument type or count is a programming error and raises at once, naming the var, the argument and the type expected."
              "Beyond Joker: SendMail accepts nil (`None`) for no authentication, which Joker's generated wrapper cannot express; a successful error-only call returns nil itself rather than a wrapped nil; `ServerInfo` and `*ServerInfo` build from a map or keyword arguments with Go's field names; `Auth` can be subclassed in Hy."
              "From Python: `import go_std.net.smtp` gives the same objects; `PtrClient` and `PtrServerInfo` are the plain names of `*Client` and `*ServerInfo`."
              "Line ends, as Go has them: `SendMail` and the writer of `Data` make a bare LF CRLF and double a dot at the start of a line, but pass a bare CR through, so a body holding `\\r.\\r` puts `\\r.\\r` on the wire. A server that ends lines at CRLF only sees one message; one that also ended lines at a bare CR would see the data end early (SMTP smuggling, CVE-2023-51764). Kept for byte equality with Go: give these vars bodies you made, or pass an untrusted body through `smtp-core.lineends.crlf` first; `smtp-core.send` does that by default (docs/deviations.md, docs/hardening.md section 4)."]))

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
    (setv state (cond self.closed "closed" self.tls "TLS" True "plaintext")
          greeted (cond (not self.did-hello) "not greeted"
                        (is self.hello-error None) "greeted"
                        True "greeting failed"))
    f"<*smtp.Client {(or self.server-name "?")} {state}, {greeted}>"))

(defclass GoAuth [core.Auth]
  #[[Go's Auth interface for Hy: subclass it and define

      (Start server)           => [proto to-server err]
      (Next from-server more)  => [to-server err]

  `to-server` is bytes (a str is sent as UTF-8), `None` for nothing (Go's
  nil) or `b""` for an empty response; `err` is `None` or an exception.]]

  (defn start [self server]
    (setv [proto to-server err] (auth-result self.Start 3 "(Start server)" [server]))
    (when (is-not err None) (raise (mark-returned err)))
    (when (not (isinstance proto str))
      (raise (TypeError (+ "(Start server) must return a String proto, got " (joker-type-name proto)))))
    #(proto (to-server-bytes to-server)))

  (defn next [self from-server more]
    (setv [to-server err] (auth-result self.Next 2 "(Next from-server more)" [from-server more]))
    (when (is-not err None) (raise (mark-returned err)))
    (to-server-bytes to-server)))

(defn auth-result [method n what args]
  (setv r (method #* args))
  (when (not (and (isinstance r #(list tuple)) (= (len r) n)))
    (raise (TypeError (+ what " must return a " (str n) "-element list, got " (repr r)))))
  r)

(defn mark-returned [err]
  "An Auth's error value, made raisable and recognisable as a returned error."
  (when (not (isinstance err BaseException))
    (raise (TypeError (+ "an Auth error value must be an exception, got " (joker-type-name err)))))
  (setv err._go_returned True)
  err)

(defn to-server-bytes [x]
  (cond
    (is x None) None
    (isinstance x bytes) x
    (isinstance x #(bytearray memoryview)) (bytes x)
    (isinstance x str) (.encode x "utf-8")
    True (raise (TypeError (+ "an Auth response must be arrayOfByte or nil, got " (joker-type-name x))))))

(defclass GoPlainAuth [core.PlainAuth GoAuth] "PLAIN, as `PlainAuth` returns it.")
(defclass GoCramMD5Auth [core.CramMD5Auth GoAuth] "CRAM-MD5, as `CRAMMD5Auth` returns it.")

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
        (when (not conn.closed) (.close conn))
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

;; ------------------------------------------------------------ the table: functions

(defgo function Dial [addr String "string"]
  :doc #[[Connects to the SMTP server at addr, which must include a port ("mail.example.com:587", "[::1]:25"; a service name such as "smtp" works as the port), and reads its greeting. The host part of addr is the server name that authentication checks.]]
  :result pair :returns "*Client"
  :call connect-client)

(defgo function NewClient [conn "go.std.net/Conn" "net.Conn" host String "string"]
  :doc "Makes a Client over a connection you opened yourself and reads the server's greeting: a Conn from go.std.net's Dial, or from go.std.crypto.tls's Dial or Client, which makes the client TLS from the start (Go's port-465 recipe). The client takes the Conn over (the Conn reports itself closed afterwards); a deadline set on it bounds the client's reads and writes as a timeout. host is the server name that authentication checks. Beyond Joker: a Python socket (or ssl socket) works too; give it a timeout (settimeout) to bound every read and write."
  :result pair :returns "*Client"
  :call new-client)

(defgo function PlainAuth [identity String "string" username String "string" password String "string" host String "string"]
  :doc #[[Returns an Auth for the PLAIN mechanism (RFC 4616): it logs in as username with password, acting as identity (usually ""). It sends the credentials only over TLS or to localhost, 127.0.0.1 or ::1, and only when host equals the client's server name; otherwise authentication fails before anything is sent.]]
  :result value :returns "Auth"
  :call GoPlainAuth)

(defgo function CRAMMD5Auth [username String "string" secret String "string"]
  :doc "Returns an Auth for the CRAM-MD5 mechanism (RFC 2195): it answers the server's challenge with an HMAC-MD5 keyed by secret, so the secret itself never crosses the wire."
  :result value :returns "Auth"
  :call GoCramMD5Auth)

(defgo function SendMail [addr String "string" a AuthOrNil "Auth" from String "string" to arrayOfString "[]string" msg arrayOfByte "[]byte"]
  :doc "Sends one message over a new connection to addr: it greets, switches to TLS when the server offers STARTTLS (verifying the server's certificate), authenticates with a when a is not nil and the server speaks ESMTP, then sends msg from from to every address in to. msg is the whole message, headers first; lines should end in CRLF (a bare CR goes out as it is, as in Go: see the note on line ends). Recipients missing from the headers receive a blind copy. Returns nil or the first error, and closes the connection either way."
  :call core.send-mail)

;; ------------------------------------------------------------ the table: receivers of *Client

(defmembers receiver "*Client" GoClient
  (Auth [a Auth "Auth"]
    :doc "Authenticates with mechanism a (greeting the server first if needed). On failure the client aborts the exchange and sends QUIT, so the connection is over."
    :call CoreClient.auth)

  (Close []
    :doc "Closes the connection without QUIT. Closing twice returns an error."
    :call CoreClient.close)

  (Data []
    :doc "Sends DATA and returns a writer for the message: (.Write w bytes) => [n err], then (.Close w) => err, which ends the message and reports the server's verdict. Lines starting with a dot are escaped and bare LF line ends become CRLF; a bare CR goes out as it is, as in Go (see the note on line ends). Close the writer before any other call on the client. Call Data after Rcpt."
    :result pair :returns "io.WriteCloser"
    :call CoreClient.data)

  (Extension [ext String "string"]
    :doc "Reports whether the server advertised extension ext (any letter case) and the parameters it gave with it, greeting the server first if needed."
    :go-returns "(bool, string)"
    :result as-is :joker-returns "[^Boolean, ^String]"
    :call extension-pair)

  (Hello [localName String "string"]
    :doc #[[Greets the server as localName (EHLO, or HELO if EHLO is refused). Only needed to choose the name, which is "localhost" otherwise, and only before any other call.]]
    :call CoreClient.hello)

  (Mail [from String "string"]
    :doc "Starts a mail transaction from address from (MAIL FROM), adding BODY=8BITMIME and SMTPUTF8 when the server advertised them. Follow it with Rcpt."
    :call CoreClient.mail)

  (Noop []
    :doc "Sends NOOP: checks that the server still answers."
    :call CoreClient.noop)

  (Quit []
    :doc "Sends QUIT and closes the connection."
    :call CoreClient.quit)

  (Rcpt [to String "string"]
    :doc "Adds recipient to (RCPT TO); any 25x reply is success. Call it after Mail, once per recipient, then Data."
    :call CoreClient.rcpt)

  (Reset []
    :doc "Sends RSET: abandons the current mail transaction so a new one can start."
    :call CoreClient.reset)

  (StartTLS [config "*tls.Config" "*tls.Config"]
    :doc "Sends STARTTLS, encrypts the connection and greets the server again. config is a go.std.crypto.tls Config or a map of its fields: ServerName (the name the certificate must carry), InsecureSkipVerify, RootCAs (a PEM file path or PEM bytes; default: the system's roots), MinVersion, MaxVersion (0x0303 is TLS 1.2), NextProtos, Certificates (a client certificate from LoadX509KeyPair); or an ssl.SSLContext. Without ServerName, only InsecureSkipVerify lets the handshake start."
    :call CoreClient.starttls)

  (TLSConnectionState []
    :doc "Returns [state true] on a TLS connection, else a zero state and false. state has Go's fields: Version (0x0304 is TLS 1.3; 0 for none), HandshakeComplete, ServerName (as sent in SNI), CipherSuite, NegotiatedProtocol, PeerCertificates (DER bytes, leaf first)."
    :go-returns "(tls.ConnectionState, bool)"
    :result as-is :joker-returns "[^tls.ConnectionState, ^Boolean]"
    :call tls-state-pair)

  (Verify [addr String "string"]
    :doc "Asks the server to verify address addr (VRFY). nil means valid; an error does not mean invalid, since many servers refuse to tell."
    :call CoreClient.verify))

;; ------------------------------------------------------------ the table: methods of Auth

(defmembers method "Auth" GoAuth
  (Start [server *ServerInfo "*ServerInfo"]
    :doc "Begins authentication with server: returns the mechanism name, the initial response (or nil) and an error, which aborts the attempt."
    :go-returns "(proto string, toServer []byte, err error)"
    :result as-is :joker-returns "[^String, ^arrayOfByte, ^Error]"
    :call auth-start-default)

  (Next [fromServer arrayOfByte "[]byte" more Boolean "bool"]
    :doc "Continues authentication: fromServer is the server's challenge; when more is true the server wants a response. Returns the response (nil for none) and an error, which aborts the attempt."
    :go-returns "(toServer []byte, err error)"
    :result as-is :joker-returns "[^arrayOfByte, ^Error]"
    :call auth-next-default))

;; ------------------------------------------------------------ the writer (not a var: Go's io.WriteCloser)

(defmembers method "io.WriteCloser" GoWriter
  (Write [p arrayOfByte "[]byte"]
    :self w
    :doc "Adds p to the message and returns [n err], n counting the bytes of p taken."
    :go-returns "(n int, err error)"
    :result as-is :joker-returns "[^Int, ^Error]"
    :call write-pair)

  (Close []
    :self w
    :doc "Ends the message and returns nil when the server accepted it, else the error."
    :call DataWriter.close))

;; ------------------------------------------------------------ the table: types

(defn server-info-maker [var-name]
  #[[The constructor of `ServerInfo` or `*ServerInfo`: from one map, from keyword arguments, or both.

      (ServerInfo {:Name "mx" :TLS True :Auth ["PLAIN"]})
      (ServerInfo {"Name" "mx"})
      (ServerInfo :Name "mx" :TLS True)
      (ServerInfo)                      ; Name "", TLS false, Auth nil]]
  (setv q (+ "go.std.net.smtp/" var-name))
  (defn build [given]
    (setv name (.get given "Name" "") tls (.get given "TLS" False) auth (.get given "Auth" None))
    (when (not (isinstance name str))
      (raise (ArgumentError (+ "Field Name of " q " must have type String, got " (joker-type-name name)))))
    (when (not (isinstance tls bool))
      (raise (ArgumentError (+ "Field TLS of " q " must have type Boolean, got " (joker-type-name tls)))))
    (when (not (or (is auth None) (and (isinstance auth #(list tuple)) (all (gfor m auth (isinstance m str))))))
      (raise (ArgumentError (+ "Field Auth of " q " must have type arrayOfString, got " (joker-type-name auth)))))
    (core.ServerInfo name tls auth))
  (struct-maker q {"Name" "" "TLS" False "Auth" None} build))

(setv SERVER-INFO-DOC #[[What an Auth mechanism knows of the server: Name (the server name the client was given), TLS (whether the connection is encrypted) and Auth (the mechanisms the server advertised, or nil). Build one from a map or keyword arguments with Go's field names: (ServerInfo {:Name "mx" :TLS True :Auth ["PLAIN"]}) or (ServerInfo :Name "mx").]])

(defgotype *Client :kind type :impl GoClient
  :doc "A connection to an SMTP server, made by Dial or NewClient; its receivers send the SMTP commands."
  :no-make "make one with Dial or NewClient")
(defgotype Client :kind type :impl GoClient
  :doc "The Client struct; values of *Client are what Dial and NewClient return."
  :no-make "make one with Dial or NewClient")
(defgotype *ServerInfo :kind type :impl core.ServerInfo :doc SERVER-INFO-DOC :make (server-info-maker "*ServerInfo")
  :usage "(*ServerInfo {:Name name :TLS tls :Auth [mechanism ...]})")
(defgotype ServerInfo :kind type :impl core.ServerInfo :doc SERVER-INFO-DOC :make (server-info-maker "ServerInfo")
  :usage "(ServerInfo {:Name name :TLS tls :Auth [mechanism ...]})")
(defgotype Auth :kind abstract :impl GoAuth
  :doc "An SMTP authentication mechanism: subclass it in Hy and define (Start server) => [proto to-server err] and (Next from-server more) => [to-server err]. PlainAuth and CRAMMD5Auth return ready ones."
  :no-make "subclass it, or use PlainAuth or CRAMMD5Auth")

(setv ArrayOfAuth (array-type "Auth" (fn [x] (isinstance x core.Auth)) __name__)
      ArrayOfClient (array-type "Client" (fn [x] (isinstance x GoClient)) __name__)
      ArrayOfServerInfo (array-type "ServerInfo" (fn [x] (isinstance x core.ServerInfo)) __name__))

(defgotype arrayOfAuth :kind type :impl ArrayOfAuth :make (array-maker ArrayOfAuth)
  :doc "A checked sequence of Auth values, from items or from one list: (arrayOfAuth a b) or (arrayOfAuth [a b])."
  :usage "(arrayOfAuth auth ...)")
(defgotype arrayOfClient :kind type :impl ArrayOfClient :make (array-maker ArrayOfClient)
  :doc "A checked sequence of *Client values, from items or from one list."
  :usage "(arrayOfClient client ...)")
(defgotype arrayOfServerInfo :kind type :impl ArrayOfServerInfo :make (array-maker ArrayOfServerInfo)
  :doc "A checked sequence of *ServerInfo values, from items or from one list."
  :usage "(arrayOfServerInfo info ...)")

;; Plain names for Python, where *Client is not an identifier.
(setv PtrClient (.alias __joker_ns__ "PtrClient" "*Client")
      PtrServerInfo (.alias __joker_ns__ "PtrServerInfo" "*ServerInfo"))

(setv __all__ (.exports __joker_ns__))
