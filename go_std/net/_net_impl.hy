#[[The implementation behind go.std.net's table: its classes, converters and calls.

`go_std/net/__init__.hy` is the namespace's docstring and its table;
what the table names (`GoConn`, `dial-conn`, `split-host-port`, ...) is
defined here. Behaviour lives in `smtp_core.netconn` (connections) and
`smtp_core.gocompat.netaddr` (addresses); this module gives it Joker's shapes:
`[result err]` pairs, Go-named classes, the converter of a Conn.

    (import go-std.net._net-impl [GoConn] smtp-core.netconn [Conn])
    (issubclass GoConn Conn)   ; => True: Go's addresses over the engine's connection]]

(import socket)
(import smtp-core.gocompat.netaddr :as netaddr)
(import smtp-core.netconn :as netconn)
(import go-std.joker [ArgumentError arg-error name-type returned struct-maker])
(import go-std.joker.converters [conv-go_std_time_Duration])

;; ------------------------------------------------------------ implementation classes

(defclass GoAddr [netconn.Addr]
  "The implementation behind `Addr`: (.Network a) => \"tcp\", (.String a) => \"127.0.0.1:25\".")

(defclass GoConn [netconn.Conn]
  "The implementation behind `Conn`, as Dial and DialTimeout return it."
  (defn local-addr [self] (GoAddr self.addr-net self.local))
  (defn remote-addr [self] (GoAddr self.addr-net self.remote)))

;; ------------------------------------------------------------ converters of this namespace

;; Error messages call a connection (net or TLS; beyond Joker, a socket) a Conn.
(name-type netconn.Conn "go.std.net/Conn")
(name-type socket.socket "go.std.net/Conn")

(defn conv-go_std_net_Conn [x i name q]
  ;; A go.std.net or go.std.crypto.tls Conn (smtp's NewClient and tls's Client
  ;; import it); beyond Joker, a Python socket.
  (if (isinstance x #(netconn.Conn socket.socket)) x (raise (arg-error q i name "go.std.net/Conn" x))))

;; ------------------------------------------------------------ calls with a Joker shape

(setv Q-DIAL "go.std.net/Dial" Q-DIAL-TIMEOUT "go.std.net/DialTimeout")

(defn check-network [network q]
  "Refuse, as misuse, a network Go would dial that this namespace does not."
  (when (in network netconn.UNSUPPORTED-NETWORKS)
    (raise (ArgumentError (+ "Arg[0] (network) of " q ": network " network
                             " is not dialled here (tcp, tcp4 or tcp6)")))))

(defn dial-conn [network address [timeout None] [q Q-DIAL]]
  (check-network network q)
  (netconn.dial network address timeout :conn-class GoConn))

(defn dial-timeout [network address timeout]
  (dial-conn network address timeout Q-DIAL-TIMEOUT))

(defclass GoDialer []
  #[=[Go's net.Dialer, the part a mail program uses: Timeout (a Duration in nanoseconds; 0: none).

      (setv d (Dialer {"Timeout" 5000000000}))
      (.Dial d "tcp" "127.0.0.1:25")   ; => [conn err]]=]
  (defn __init__ [self [timeout 0]] (setv self.Timeout timeout))
  (defn seconds [self] (if self.Timeout (/ self.Timeout 1e9) None))
  (defn __repr__ [self] f"<net.Dialer Timeout={self.Timeout}>"))

(defn dialer-dial [self network address]
  (dial-conn network address (.seconds self) "go.std.net/(*Dialer)Dial"))

(defn dialer-maker [var-name]
  "The constructor of `Dialer` and `*Dialer`: from a map or keyword arguments, field Timeout."
  (setv q (+ "go.std.net/" var-name))
  (defn build [given]
    (setv timeout (.get given "Timeout" 0))
    (conv-go_std_time_Duration timeout 0 "Timeout" q)  ; an Int of nanoseconds, or misuse
    (GoDialer timeout))
  (struct-maker q {"Timeout" 0} build))

(defn split-host-port [hostport]
  (try
    [#* (netaddr.split-host-port hostport) None]
    (except [e Exception]
      ["" "" (returned e)])))

(defn read-pair [self buf]
  (try
    [(.read self buf) None]
    (except [e Exception]
      [0 (returned e)])))

(defn write-pair [self data]
  (try
    [(.write self data) None]
    (except [e Exception]
      [(getattr e "bytes_sent" 0) (returned e)])))
