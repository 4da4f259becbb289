#[[go.std.net: the part of Go's net package a mail program uses, as Joker exposes it.

    (import go-std.net :as net go-std.net.smtp :as smtp)
    (setv [conn err] (net.Dial "tcp" "127.0.0.1:2525"))
    (when err (raise err))
    (setv [c err] (smtp.NewClient conn "127.0.0.1"))

A `Conn` reads into a buffer you give it, as Go's does:

    (setv buf (bytearray 512))
    (setv [n err] (.Read conn buf))      ; err is EOF at the end of the stream
    (.Write conn b"NOOP\r\n")            ; => [n err]
    (.SetReadDeadline conn (+ (time.time) 5))
    (.Close conn)                        ; later calls: use of closed network connection

One table, the machinery of `go-std.joker`; the behaviour lives in
`smtp_core.netconn` (connections) and `smtp_core.gocompat.netaddr` (addresses); the
classes, converters and calls the table names are in `go-std.net._net-impl`.]]

(require go-std.joker.macros [defgo defmembers defgotype])
(import smtp-core.gocompat.netaddr :as netaddr)
(import smtp-core.netconn :as netconn)
(import go-std.joker [Namespace])
;; What the table names, and what go.std.crypto.tls, go.std.net.mail and
;; go.std.net.smtp take from this namespace (its Conn, its converter, the pairs).
(import go-std.net._net-impl [GoAddr GoConn GoDialer check-network dial-conn dial-timeout
                              dialer-dial dialer-maker split-host-port read-pair write-pair
                              conv-go_std_net_Conn])

(setv __joker_ns__
  (Namespace "go.std.net" __name__
             "Provides a portable interface for network I/O: here the TCP part a mail program uses (Dial, DialTimeout, Dialer, Conn, Addr, JoinHostPort, SplitHostPort), with Go's address rules and Go's error texts."
             ["Conventions (Joker's): two results come back as `[result err]`, three as `[a b err]`; errors are returned exception values whose text is Go's; a wrong argument type or count raises at once."
              "Deadlines take a time as Go's time.Time: a datetime (naive means local time) or seconds since the epoch as `time.time` gives them; nil or 0 is Go's zero time, which clears the deadline. DialTimeout takes a go.std.time/Duration as Joker passes it, an Int of nanoseconds."
              "Beyond Joker's reach: only the networks tcp, tcp4 and tcp6 are dialled; udp, ip and unix raise an argument error here (Go would dial them); a network Go does not know returns Go's `unknown network` error. smtp's NewClient takes the connection over: afterwards the Conn reports itself closed."]))

;; ------------------------------------------------------------ the table: functions

(defgo function Dial [network String "string" address String "string"]
  :doc #[[Connects to address on network "tcp", "tcp4" or "tcp6". address is host:port ("127.0.0.1:25", "[::1]:587", "mail.example.com:smtp"); Go's rules decide how it is split, which port a service name means and which names are looked up, and a failure reads as Go's ("dial tcp 127.0.0.1:25: connect: connection refused", "dial tcp: address 99999: invalid port").]]
  :result pair :returns "Conn"
  :call dial-conn)

(defgo function DialTimeout [network String "string" address String "string" timeout "go.std.time/Duration" "time.Duration"]
  :doc "Dial with a bound on the whole connection attempt (name lookup included): timeout is a Duration in nanoseconds, 0 for none; each resolved address gets a share of it, as in Go. Only the dial is bounded: set deadlines on the Conn to bound its reads and writes."
  :result pair :returns "Conn"
  :call dial-timeout)

(defgo function JoinHostPort [host String "string" port String "string"]
  :doc #[[Combines host and port into "host:port", in brackets when host holds a colon ("[::1]:25"). It checks nothing.]]
  :result value :returns "String"
  :call netaddr.join-host-port)

(defgo function SplitHostPort [hostport String "string"]
  :doc #[[Splits "host:port", "[host]:port" or "[host%zone]:port" into host and port, as Go does: the split is at the last colon, a host with a colon needs brackets, and the texts of a refusal are Go's ("address x: missing port in address", "address a:b:c: too many colons in address").]]
  :go-returns "(host, port string, err error)"
  :result as-is :joker-returns "[^String, ^String, ^Error]"
  :call split-host-port)

;; ------------------------------------------------------------ the table: methods of Conn

(defmembers method "Conn" GoConn
  (Read [b mutableArrayOfByte "[]byte"]
    :doc "Reads what one receive brings into b (a bytearray) and returns [n err]: n bytes of b were filled. At the end of the stream err is EOF and n is 0. A deadline that has passed fails at once with i/o timeout."
    :go-returns "(n int, err error)"
    :result as-is :joker-returns "[^Int, ^Error]"
    :call read-pair)

  (Write [b arrayOfByte "[]byte"]
    :doc "Writes all of b (a string is its UTF-8 bytes) and returns [n err]; on failure n says how many bytes went out."
    :go-returns "(n int, err error)"
    :result as-is :joker-returns "[^Int, ^Error]"
    :call write-pair)

  (Close []
    :doc "Closes the connection. Every later call fails with use of closed network connection, a second Close included."
    :call netconn.Conn.close)

  (LocalAddr []
    :doc "The local end's address (known after Close too)."
    :result value :returns "Addr"
    :call GoConn.local-addr)

  (RemoteAddr []
    :doc "The remote end's address (known after Close too)."
    :result value :returns "Addr"
    :call GoConn.remote-addr)

  (SetDeadline [t "go.std.time/Time" "time.Time"]
    :doc "Sets the read and the write deadline: a datetime or seconds since the epoch; nil or 0 clears them. A call that waits past it fails with i/o timeout; the connection stays usable with a later deadline."
    :call netconn.Conn.set-deadline)

  (SetReadDeadline [t "go.std.time/Time" "time.Time"]
    :doc "Sets the deadline of future Read calls (nil or 0 clears it)."
    :call netconn.Conn.set-read-deadline)

  (SetWriteDeadline [t "go.std.time/Time" "time.Time"]
    :doc "Sets the deadline of future Write calls (nil or 0 clears it)."
    :call netconn.Conn.set-write-deadline))

(defmembers method "Addr" GoAddr
  (Network []
    :self a
    :doc #[[The name of the network: "tcp" for a TCP address, whichever of tcp, tcp4 or tcp6 was dialled.]]
    :result value :returns "String"
    :call netconn.Addr.network)

  (String []
    :self a
    :doc #[[The address as Go writes it: "127.0.0.1:25", "[::1]:25".]]
    :result value :returns "String"
    :call netconn.Addr.string))

;; ------------------------------------------------------------ the table: types

(defmembers receiver "*Dialer" GoDialer
  (Dial [network String "string" address String "string"]
    :self d
    :doc "Dial with the Dialer's Timeout bounding the connection attempt."
    :result pair :returns "Conn"
    :call dialer-dial))

(defgotype *Dialer :kind type :impl GoDialer :make (dialer-maker "*Dialer")
  :doc "Options for connecting: here Timeout (a Duration in nanoseconds, 0 for none), as Go's net.Dialer; go.std.crypto.tls's DialWithDialer takes one."
  :usage "(*Dialer {\"Timeout\" nanoseconds})")
(defgotype Dialer :kind type :impl GoDialer :make (dialer-maker "Dialer")
  :doc "The Dialer struct; (Dialer {\"Timeout\" 5000000000}) makes one, as *Dialer does."
  :usage "(Dialer {\"Timeout\" nanoseconds})")

(defgotype Conn :kind abstract :impl netconn.Conn
  :doc "A stream connection (Go's net.Conn interface), as Dial, DialTimeout and go.std.crypto.tls's Dial return it: Read, Write, Close, the two addresses and the deadlines. smtp's NewClient takes one."
  :no-make "make one with Dial or DialTimeout")

(defgotype Addr :kind abstract :impl netconn.Addr
  :doc "The address of one end of a connection: (.Network a) and (.String a)."
  :no-make "a Conn's LocalAddr and RemoteAddr give one")

(setv PtrDialer (.alias __joker_ns__ "PtrDialer" "*Dialer"))

(setv __all__ (.exports __joker_ns__))
