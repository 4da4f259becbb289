#[[The implementation behind go.std.crypto.tls's table: its classes, converters and calls.

`go_std/crypto/tls.hy` is the namespace's docstring and its table; what
the table names (`GoTLSConn`, `config-from`, `dial-tls`, ...) is defined
here. Behaviour lives in `smtp_core.tlsconn` and `smtp_core.tls`; this
module gives it Joker's shapes: a Config from a map of Go's fields,
`[result err]` pairs, Go-named classes.

    (import go-std.crypto._tls-impl [config-from])
    (. (config-from {"ServerName" "mx.example.com"} 0 "config" "q") server-name)   ; => "mx.example.com"]]

;; `unless` at compile time only: importing hyrule would cost every namespace import.
(eval-when-compile (require hyrule [unless]))
(import os ssl)
(import smtp-core.tls :as coretls)
(import smtp-core.tlsconn :as tlsconn)
(import smtp-core.tls [TLSConfig])
(import go-std.net [GoConn GoDialer check-network])
(import go-std.joker [arg-error joker-type-name struct-maker])

;; ------------------------------------------------------------ Config: one owner of the map's fields

(defn _uint16? [v] (and (isinstance v int) (not (isinstance v bool)) (<= 0 v 0xFFFF)))

;; Go's tls.Config fields: #(TLSConfig attribute, expected type as the error says it, check).
(setv CONFIG-FIELDS
  {"ServerName" #("server_name" "String" (fn [v] (isinstance v str)))
   "InsecureSkipVerify" #("insecure_skip_verify" "Boolean" (fn [v] (isinstance v bool)))
   "RootCAs" #("root_cas" "String (a path), arrayOfByte (PEM) or nil"
               (fn [v] (or (is v None) (isinstance v #(str bytes bytearray os.PathLike)))))
   "MinVersion" #("min_version" "Int in 0..0xFFFF (uint16)" _uint16?)
   "MaxVersion" #("max_version" "Int in 0..0xFFFF (uint16)" _uint16?)
   "NextProtos" #("alpn" "arrayOfString"
                  (fn [v] (and (isinstance v #(list tuple)) (all (gfor p v (isinstance p str))))))
   "Certificates" #("certificates" "arrayOfCertificate"
                    (fn [v] (and (isinstance v #(list tuple)) (all (gfor c v (isinstance c coretls.Certificate))))))})

(defn config-from [x i name q]
  #[[A tls.Config from a map of Go's fields (string or keyword keys), a Config, an ssl.SSLContext, or nil.

  The converter behind every `*tls.Config` argument (Dial, Client, smtp's
  StartTLS) and the constructor of `Config`. A field of the wrong type, a
  version outside Go's uint16 or an unknown field is misuse and raises;
  settings Go accepts but cannot use (e.g. a MinVersion above TLS 1.3)
  come back from the handshake as Go's error.]]
  (cond
    (or (is x None) (isinstance x #(ssl.SSLContext TLSConfig))) x
    (isinstance x dict)
      (do
        (setv fields {})
        (for [[k v] (.items x)]
          (setv key (if (isinstance k hy.models.Keyword) k.name k))
          (unless (in key CONFIG-FIELDS)
            (raise (arg-error q i name "*tls.Config" x
                              (+ " (unknown field " (repr key) "; known: " (.join ", " CONFIG-FIELDS) ")"))))
          (setv [attr expected ok?] (get CONFIG-FIELDS key))
          (unless (ok? v)
            (raise (arg-error q i name "*tls.Config" x
                              (+ " (field " key " must be " expected ", got " (joker-type-name v)
                                 (if (and (isinstance v int) (not (isinstance v bool))) (+ " " (str v)) "") ")"))))
          (setv (get fields attr) (if (= key "Certificates") (tuple v) v)))
        (TLSConfig #** fields))
    True (raise (arg-error q i name "*tls.Config" x))))

;; The hint `*tls.Config` of this table and of smtp's StartTLS names this converter.
(setv conv-*tls_Config config-from)

(defn conv-*Config [x i name q]
  ;; Dial and Client take a Config (or its map, or nil), not a ready SSLContext.
  (if (isinstance x ssl.SSLContext)
    (raise (arg-error q i name "*tls.Config" x " (an ssl.SSLContext; give a Config or its map)"))
    (config-from x i name q)))

(defn config-maker [var-name]
  #[[The constructor of `Config` and `*Config`: from one map, from keyword arguments, or both.

      (Config {"ServerName" "mx.example.com"})
      (Config :ServerName "mx.example.com" :MinVersion VersionTLS12)
      (Config)                          ; Go's zero Config]]
  (setv q (+ "go.std.crypto.tls/" var-name))
  ;; config-from names an unknown field itself, as StartTLS's map does.
  (struct-maker q (dfor f CONFIG-FIELDS f None) (fn [given] (config-from given 0 "fields" q)) :check-names False))

;; ------------------------------------------------------------ implementation classes

(defclass GoTLSConn [GoConn tlsconn.TLSConn]
  "The implementation behind `*Conn`: a go.std.net Conn (Read, Write, ...) with TLS."
  (defn __repr__ [self] (tlsconn.TLSConn.__repr__ self)))

(defclass GoCertificate [coretls.Certificate]
  "A key pair (Go's tls.Certificate): the chain, leaf first, and its private key.")

;; ------------------------------------------------------------ calls with a Joker shape

(defn dial-tls [network addr config]
  (check-network network "go.std.crypto.tls/Dial")
  (tlsconn.dial network addr config :conn-class GoTLSConn))

(defn dial-with-dialer [dialer network addr config]
  (check-network network "go.std.crypto.tls/DialWithDialer")
  (tlsconn.dial network addr config :timeout (.seconds dialer) :conn-class GoTLSConn))

(defn conv-*net_Dialer [x i name q]
  (if (isinstance x GoDialer) x (raise (arg-error q i name "*net.Dialer" x))))

(defn client-tls [conn config]
  (tlsconn.client conn config :conn-class GoTLSConn))

(defn key-pair [cert-pem key-pem]
  (setv pair (coretls.x509-key-pair cert-pem key-pem))
  (GoCertificate pair.chain pair.key-pem))

(defn load-key-pair [cert-file key-file]
  (setv pair (coretls.load-x509-key-pair cert-file key-file))
  (GoCertificate pair.chain pair.key-pem))
