#[[go.std.crypto.tls: the client side of Go's crypto/tls, as Joker exposes it, for Hy.

Go's port-465 recipe, implicit TLS from the first byte:

    (import go-std.crypto.tls :as tls go-std.net.smtp :as smtp)
    (setv [conn err] (tls.Dial "tcp" "smtp.example.com:465"
                               (tls.Config {"ServerName" "smtp.example.com"})))
    (when err (raise err))
    (setv [c err] (smtp.NewClient conn "smtp.example.com"))

A `Config` is built from a map (or keyword arguments) with Go's field
names; smtp's StartTLS takes the same map or a `Config`, through the same
code (`config-from`). Certificate failures read as Go's: `tls: failed to
verify certificate: x509: certificate signed by unknown authority`.

One table; the behaviour lives in `smtp_core.tlsconn` and `smtp_core.tls`; the
classes, converters and calls the table names are in `go-std.crypto._tls-impl`.]]

(require go-std.joker.macros [defgo defmembers defgotype defgoconst])
(import smtp-core.tls :as coretls)
(import smtp-core.tlsconn :as tlsconn)
(import smtp-core.tls [TLSConfig])
(import go-std.net [GoConn read-pair write-pair conv-go_std_net_Conn])
(import go-std.joker [Namespace])
;; What the table names (conv-<Hint> converters among them); go.std.net.smtp takes config-from.
(import go-std.crypto._tls-impl [GoTLSConn GoCertificate config-from config-maker
                                 conv-*Config conv-*tls_Config conv-*net_Dialer
                                 dial-tls dial-with-dialer client-tls key-pair load-key-pair])

(setv __joker_ns__
  (Namespace "go.std.crypto.tls" __name__
             "Implements TLS 1.2 and TLS 1.3 for clients, as Go's crypto/tls does: Dial and Client for connections, Config for their settings, X509KeyPair and LoadX509KeyPair for client certificates."
             ["Conventions (Joker's): two results come back as `[result err]`; errors are returned exception values whose text is Go's (`tls: failed to verify certificate: x509: ...`, `remote error: tls: protocol version not supported`); a wrong argument type or count raises at once."
              "`Config` and `*Config` build from a map or keyword arguments with Go's field names: ServerName, InsecureSkipVerify, RootCAs (a PEM file path or PEM bytes; nil: the system's roots), MinVersion, MaxVersion, NextProtos, Certificates. smtp's StartTLS takes the same map or a Config."
              "Beyond Joker's reach: Python's ssl module decides the cipher suites and the handshake's details; where that differs from Go, docs/deviations.md says so. Only the first of Certificates is offered (OpenSSL holds one key pair per context)."]))

;; ------------------------------------------------------------ the table: functions

(defgo function Dial [network String "string" addr String "string" config *Config "*Config"]
  :doc #[[Connects to addr on network "tcp", "tcp4" or "tcp6" (as go.std.net's Dial) and completes a TLS handshake before it returns. An empty ServerName is taken from addr (the part before the last colon); nil is the zero Config. A failed handshake closes the connection and returns Go's error: "tls: failed to verify certificate: x509: certificate signed by unknown authority", "remote error: tls: protocol version not supported", "EOF" when the server hangs up.]]
  :result pair :returns "*Conn"
  :call dial-tls)

(defgo function DialWithDialer [dialer "*net.Dialer" "*net.Dialer" network String "string" addr String "string" config *Config "*Config"]
  :doc "Dial with a go.std.net Dialer: its Timeout bounds the connection and the handshake together, as in Go."
  :result pair :returns "*Conn"
  :call dial-with-dialer)

(defgo function Client [conn "go.std.net/Conn" "net.Conn" config *Config "*Config"]
  :doc "Makes a TLS client connection over conn, a Conn from go.std.net's Dial, which it takes over. The handshake happens on the first Read or Write, or on Handshake; config must give ServerName or InsecureSkipVerify."
  :result value :returns "*Conn"
  :call client-tls)

(defgo function X509KeyPair [certPEMBlock arrayOfByte "[]byte" keyPEMBlock arrayOfByte "[]byte"]
  :doc #[[Parses a certificate chain and its private key from PEM data (PKCS #1, PKCS #8 or SEC 1 keys) and checks that they belong together; Go's errors: "tls: failed to find any PEM data in certificate input", "tls: private key does not match public key", ...]]
  :result pair :returns "Certificate"
  :call key-pair)

(defgo function LoadX509KeyPair [certFile String "string" keyFile String "string"]
  :doc #[[Reads a certificate chain and its private key from two PEM files (they may be the same file) and parses them as X509KeyPair does; a file that cannot be read fails as Go's ("open cert.pem: no such file or directory").]]
  :result pair :returns "Certificate"
  :call load-key-pair)

;; ------------------------------------------------------------ the table: receivers of *Conn

(defmembers receiver "*Conn" GoTLSConn
  (Handshake []
    :doc "Runs the client handshake if it has not run yet. Its error is kept: every later Read, Write and Handshake returns it."
    :call tlsconn.TLSConn.handshake)

  (ConnectionState []
    :doc "The connection's TLS state: Version (0x0304 is TLS 1.3), HandshakeComplete, ServerName (as sent in SNI; empty for an IP address), CipherSuite, NegotiatedProtocol, PeerCertificates (DER, leaf first). The zero state before the handshake."
    :result value :returns "ConnectionState"
    :call tlsconn.TLSConn.connection-state)

  (Read [b mutableArrayOfByte "[]byte"]
    :doc "Reads decrypted bytes into b (a bytearray), handshaking first if needed; returns [n err], err EOF at the end."
    :go-returns "(n int, err error)"
    :result as-is :joker-returns "[^Int, ^Error]"
    :call read-pair)

  (Write [b arrayOfByte "[]byte"]
    :doc "Encrypts and writes all of b, handshaking first if needed; returns [n err]."
    :go-returns "(n int, err error)"
    :result as-is :joker-returns "[^Int, ^Error]"
    :call write-pair)

  (Close []
    :doc "Sends close_notify (after a handshake) and closes the connection. Later Write and Close calls return Go's bare use of closed network connection."
    :call tlsconn.TLSConn.close)

  (LocalAddr []
    :doc "The local end's address."
    :result value :returns "net.Addr"
    :call GoConn.local-addr)

  (RemoteAddr []
    :doc "The remote end's address."
    :result value :returns "net.Addr"
    :call GoConn.remote-addr)

  (SetDeadline [t "go.std.time/Time" "time.Time"]
    :doc "Sets the read and write deadlines (a datetime or seconds since the epoch; nil or 0 clears them), the handshake included."
    :call tlsconn.TLSConn.set-deadline)

  (SetReadDeadline [t "go.std.time/Time" "time.Time"]
    :doc "Sets the deadline of future reads (nil or 0 clears it)."
    :call tlsconn.TLSConn.set-read-deadline)

  (SetWriteDeadline [t "go.std.time/Time" "time.Time"]
    :doc "Sets the deadline of future writes (nil or 0 clears it)."
    :call tlsconn.TLSConn.set-write-deadline))

;; ------------------------------------------------------------ the table: types

(setv CONFIG-DOC #[[A TLS client configuration with Go's field names, built from a map or keyword arguments: (Config {"ServerName" "mx.example.com" "MinVersion" VersionTLS12}). Fields: ServerName, InsecureSkipVerify, RootCAs (a PEM file path or PEM bytes; nil: the system's roots), MinVersion, MaxVersion (VersionTLS10 ... VersionTLS13), NextProtos, Certificates (from LoadX509KeyPair, for servers that ask for a client certificate). Without ServerName, only InsecureSkipVerify lets a handshake start (Dial fills it in from the address).]])

(defgotype *Conn :kind type :impl GoTLSConn
  :doc "A TLS client connection, made by Dial or Client: a go.std.net Conn (smtp's NewClient takes it, and the SMTP client is then TLS from the start) with Handshake and ConnectionState."
  :no-make "make one with Dial or Client")
(defgotype Conn :kind type :impl GoTLSConn
  :doc "The Conn struct; values of *Conn are what Dial and Client return."
  :no-make "make one with Dial or Client")
(defgotype *Config :kind type :impl TLSConfig :doc CONFIG-DOC :make (config-maker "*Config")
  :usage "(*Config {\"ServerName\" name ...})")
(defgotype Config :kind type :impl TLSConfig :doc CONFIG-DOC :make (config-maker "Config")
  :usage "(Config {\"ServerName\" name ...})")
(defgotype Certificate :kind type :impl coretls.Certificate
  :doc "A certificate chain and its private key, as X509KeyPair and LoadX509KeyPair return it; put it in a Config's Certificates for a server that asks for a client certificate."
  :no-make "make one with X509KeyPair or LoadX509KeyPair")
(defgotype ConnectionState :kind type :impl coretls.ConnectionState
  :doc "A TLS connection's state with Go's fields: Version, HandshakeComplete, ServerName, CipherSuite, NegotiatedProtocol, PeerCertificates. smtp's TLSConnectionState returns the same type."
  :no-make "a Conn's ConnectionState (or smtp's TLSConnectionState) gives one")

;; ------------------------------------------------------------ the table: constants

(defgoconst VersionTLS10 0x0301 :gotype "uint16" :doc "TLS 1.0 (0x0301). Deprecated: offered only when MinVersion asks for it; most servers refuse it.")
(defgoconst VersionTLS11 0x0302 :gotype "uint16" :doc "TLS 1.1 (0x0302). Deprecated, as TLS 1.0.")
(defgoconst VersionTLS12 0x0303 :gotype "uint16" :doc "TLS 1.2 (0x0303), the lowest version a zero MinVersion offers.")
(defgoconst VersionTLS13 0x0304 :gotype "uint16" :doc "TLS 1.3 (0x0304).")

;; Plain names for Python, where *Conn is not an identifier.
(setv PtrConn (.alias __joker_ns__ "PtrConn" "*Conn")
      PtrConfig (.alias __joker_ns__ "PtrConfig" "*Config"))

(setv __all__ (.exports __joker_ns__))
