"Misuse of go.std.net.smtp raises at once, with Joker's wording made clearer.

A wrong argument type or count is a bug in the caller, so it raises (a
TypeError subclass) before anything goes on the wire; protocol and I/O
failures, in contrast, come back as values (see test_namespace.hy).  Every
message is checked exactly."

(import pytest
        go-std.joker [ArgumentError ArityError]
        go-std.net.smtp :as smtp)

(defn raised [f #* args #** kwargs]
  "The exception (f args) raises; fails the test when it raises none."
  (try
    (f #* args #** kwargs)
    (except [e Exception] (return e)))
  (raise (AssertionError f"no exception from {f}")))

(defn arg-error [f #* args]
  (setv e (raised f #* args))
  (assert (is (type e) ArgumentError) (repr e))
  (assert (isinstance e TypeError))
  (str e))

(defn arity-error [f #* args]
  (setv e (raised f #* args))
  (assert (is (type e) ArityError) (repr e))
  (assert (isinstance e TypeError))
  (str e))

(defn addr-of [server] f"{server.host}:{server.port}")

(setv AUTH (smtp.PlainAuth "" "u" "p" "localhost"))

;; ------------------------------------------------------------ functions

(defn test-the-issue-example []
  (assert (= (arg-error smtp.SendMail "127.0.0.1:25" None "a@example.com" "b@example.com" b"msg")
             "Arg[3] (to) of go.std.net.smtp/SendMail must have type arrayOfString, got String")))

(defn test-string-arguments []
  (assert (= (arg-error smtp.Dial 25)
             "Arg[0] (addr) of go.std.net.smtp/Dial must have type String, got Int"))
  (assert (= (arg-error smtp.Dial b"host:25")
             "Arg[0] (addr) of go.std.net.smtp/Dial must have type String, got arrayOfByte"))
  (assert (= (arg-error smtp.Dial None)
             "Arg[0] (addr) of go.std.net.smtp/Dial must have type String, got Nil"))
  (assert (= (arg-error smtp.Dial ':addr)
             "Arg[0] (addr) of go.std.net.smtp/Dial must have type String, got Keyword"))
  (assert (= (arg-error smtp.PlainAuth "" "u" "p" 1.5)
             "Arg[3] (host) of go.std.net.smtp/PlainAuth must have type String, got Double"))
  (assert (= (arg-error smtp.CRAMMD5Auth ["u"] "s")
             "Arg[0] (username) of go.std.net.smtp/CRAMMD5Auth must have type String, got Vector"))
  (assert (= (arg-error smtp.SendMail "h:25" None {"a" 1} ["b"] b"m")
             "Arg[2] (from) of go.std.net.smtp/SendMail must have type String, got Map")))

(defn test-auth-argument []
  (assert (= (arg-error smtp.SendMail "h:25" "alice" "a@example.com" ["b@example.com"] b"m")
             "Arg[1] (a) of go.std.net.smtp/SendMail must have type Auth, got String")))

(defn test-array-of-string-argument []
  (assert (= (arg-error smtp.SendMail "h:25" None "a" #{"b"} b"m")
             "Arg[3] (to) of go.std.net.smtp/SendMail must have type arrayOfString, got MapSet"))
  (assert (= (arg-error smtp.SendMail "h:25" None "a" ["b" 7] b"m")
             "Arg[3] (to) of go.std.net.smtp/SendMail must have type arrayOfString, got Vector (element 1 is Int)"))
  (assert (= (arg-error smtp.SendMail "h:25" None "a" [b"b"] b"m")
             "Arg[3] (to) of go.std.net.smtp/SendMail must have type arrayOfString, got Vector (element 0 is arrayOfByte)")))

(defn test-array-of-byte-argument []
  (assert (= (arg-error smtp.SendMail "h:25" None "a" ["b"] 42)
             "Arg[4] (msg) of go.std.net.smtp/SendMail must have type arrayOfByte, got Int"))
  (assert (= (arg-error smtp.SendMail "h:25" None "a" ["b"] [104 105])
             "Arg[4] (msg) of go.std.net.smtp/SendMail must have type arrayOfByte, got Vector")))

(defn test-conn-argument []
  (assert (= (arg-error smtp.NewClient "127.0.0.1:25" "localhost")
             "Arg[0] (conn) of go.std.net.smtp/NewClient must have type go.std.net/Conn, got String")))

(defn test-arity []
  (assert (= (arity-error smtp.SendMail "h:25" None "a")
             "Wrong number of args (3) passed to go.std.net.smtp/SendMail"))
  (assert (= (arity-error smtp.SendMail "h:25" None "a" ["b"] b"m" "extra")
             "Wrong number of args (6) passed to go.std.net.smtp/SendMail"))
  (assert (= (arity-error smtp.Dial)
             "Wrong number of args (0) passed to go.std.net.smtp/Dial"))
  (assert (= (arity-error smtp.CRAMMD5Auth "u")
             "Wrong number of args (1) passed to go.std.net.smtp/CRAMMD5Auth")))

(defn test-arity-is-checked-before-types []
  (assert (= (arity-error smtp.Dial 1 2)
             "Wrong number of args (2) passed to go.std.net.smtp/Dial")))

(defn test-the-first-wrong-argument-is-named []
  (assert (= (arg-error smtp.PlainAuth 1 2 3 4)
             "Arg[0] (identity) of go.std.net.smtp/PlainAuth must have type String, got Int")))

;; ------------------------------------------------------------ receivers and methods

(defn test-receiver-errors-without-a-connection []
  ;; Checks come before any use of the receiver, so they need no server.
  (assert (= (arg-error smtp.*Client.Hello None 5)
             "Arg[0] (localName) of go.std.net.smtp/(*Client)Hello must have type String, got Int"))
  (assert (= (arity-error smtp.*Client.Noop None 1)
             "Wrong number of args (1) passed to go.std.net.smtp/(*Client)Noop")))

(defn test-receiver-errors-on-a-live-client [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (try
    (assert (= (arg-error c.Hello 5)
               "Arg[0] (localName) of go.std.net.smtp/(*Client)Hello must have type String, got Int"))
    (assert (= (arity-error c.Hello)
               "Wrong number of args (0) passed to go.std.net.smtp/(*Client)Hello"))
    (assert (= (arity-error c.Mail "a@example.com" "BODY=8BITMIME")
               "Wrong number of args (2) passed to go.std.net.smtp/(*Client)Mail"))
    (assert (= (arg-error c.Rcpt ["b@example.com"])
               "Arg[0] (to) of go.std.net.smtp/(*Client)Rcpt must have type String, got Vector"))
    (assert (= (arg-error c.Auth None)
               "Arg[0] (a) of go.std.net.smtp/(*Client)Auth must have type Auth, got Nil"))
    (assert (= (arg-error c.Extension ':AUTH)
               "Arg[0] (ext) of go.std.net.smtp/(*Client)Extension must have type String, got Keyword"))
    (assert (= (arg-error c.StartTLS "mx.example.com")
               "Arg[0] (config) of go.std.net.smtp/(*Client)StartTLS must have type *tls.Config, got String"))
    (assert (= (arg-error c.StartTLS {:ServerNmae "x"})
               "Arg[0] (config) of go.std.net.smtp/(*Client)StartTLS must have type *tls.Config, got Map (unknown field 'ServerNmae'; known: ServerName, InsecureSkipVerify, RootCAs, MinVersion, MaxVersion, NextProtos, Certificates)"))
    (assert (= (arg-error c.StartTLS {:InsecureSkipVerify "yes"})
               "Arg[0] (config) of go.std.net.smtp/(*Client)StartTLS must have type *tls.Config, got Map (field InsecureSkipVerify must be Boolean, got String)"))
    ;; Nothing reached the server: the client still works.
    (assert (is (.Noop c) None))
    (assert (is (.Mail c "a@example.com") None))
    (assert (is (.Rcpt c "b@example.com") None))
    (setv [w err] (.Data c))
    (assert (= (arg-error w.Write 42)
               "Arg[0] (p) of go.std.net.smtp/(io.WriteCloser)Write must have type arrayOfByte, got Int"))
    (assert (= (arity-error w.Close True)
               "Wrong number of args (1) passed to go.std.net.smtp/(io.WriteCloser)Close"))
    (assert (is (.Close w) None))
    (assert (is (.Quit c) None))
    (finally (.Close c))))

(defn test-auth-method-errors []
  (assert (= (arg-error AUTH.Start {:Name "mx"})
             "Arg[0] (server) of go.std.net.smtp/(Auth)Start must have type *ServerInfo, got Map"))
  (assert (= (arg-error AUTH.Next b"challenge" 1)
             "Arg[1] (more) of go.std.net.smtp/(Auth)Next must have type Boolean, got Int"))
  (assert (= (arg-error AUTH.Next 5 True)
             "Arg[0] (fromServer) of go.std.net.smtp/(Auth)Next must have type arrayOfByte, got Int"))
  (assert (= (arity-error AUTH.Next b"")
             "Wrong number of args (1) passed to go.std.net.smtp/(Auth)Next")))

(defn test-boolean-is-not-int []
  ;; Joker's Boolean is true/false only; 1 and 0 are Int.
  (assert (= (arg-error AUTH.Next b"" 0)
             "Arg[1] (more) of go.std.net.smtp/(Auth)Next must have type Boolean, got Int")))

;; ------------------------------------------------------------ types

(defn test-server-info-errors []
  (assert (= (str (raised smtp.ServerInfo "mx"))
             "Arg[0] (fields) of go.std.net.smtp/ServerInfo must have type Map, got String"))
  (assert (= (str (raised smtp.ServerInfo {} {}))
             "Wrong number of args (2) passed to go.std.net.smtp/ServerInfo"))
  (assert (= (str (raised smtp.*ServerInfo {:Nmae "mx"}))
             "go.std.net.smtp/*ServerInfo has no field \"Nmae\" (fields: Name, TLS, Auth)"))
  (assert (= (str (raised smtp.ServerInfo :Host "mx"))
             "go.std.net.smtp/ServerInfo has no field \"Host\" (fields: Name, TLS, Auth)"))
  (assert (= (str (raised smtp.ServerInfo {:Name 5}))
             "Field Name of go.std.net.smtp/ServerInfo must have type String, got Int"))
  (assert (= (str (raised smtp.ServerInfo :TLS "yes"))
             "Field TLS of go.std.net.smtp/ServerInfo must have type Boolean, got String"))
  (assert (= (str (raised smtp.ServerInfo :Auth "PLAIN"))
             "Field Auth of go.std.net.smtp/ServerInfo must have type arrayOfString, got String"))
  (assert (= (str (raised smtp.ServerInfo :Auth ["PLAIN" 1]))
             "Field Auth of go.std.net.smtp/ServerInfo must have type arrayOfString, got Vector"))
  (for [e [(raised smtp.ServerInfo "mx") (raised smtp.ServerInfo :TLS 1)]]
    (assert (isinstance e ArgumentError))))

(defn test-array-rejects-a-wrong-element-with-its-index []
  (assert (= (str (raised smtp.arrayOfAuth AUTH 42))
             "arrayOfAuth: element 1 must have type Auth, got Int"))
  (assert (= (str (raised smtp.arrayOfAuth [AUTH AUTH "PLAIN"]))
             "arrayOfAuth: element 2 must have type Auth, got String"))
  (assert (= (str (raised smtp.arrayOfServerInfo {:Name "mx"}))
             "arrayOfServerInfo: element 0 must have type ServerInfo, got Map"))
  (assert (= (str (raised smtp.arrayOfClient None))
             "arrayOfClient: element 0 must have type Client, got Nil"))
  (setv arr (smtp.arrayOfAuth AUTH))
  (assert (= (str (raised arr.append "x"))
             "arrayOfAuth: element 1 must have type Auth, got String"))
  (assert (= (str (raised arr.extend [AUTH None]))
             "arrayOfAuth: element 2 must have type Auth, got Nil"))
  (assert (= (str (raised arr.insert 0 1))
             "arrayOfAuth: element 0 must have type Auth, got Int"))
  (assert (= (str (raised arr.__setitem__ 0 b"x"))
             "arrayOfAuth: element 0 must have type Auth, got arrayOfByte"))
  ;; Refused elements left the array as it was.
  (assert (= (list arr) [AUTH]))
  (assert (isinstance (raised smtp.arrayOfAuth 1) ArgumentError)))

(defn test-types-without-a-constructor []
  (for [[t msg] [[smtp.*Client "make one with Dial or NewClient"]
                 [smtp.Client "make one with Dial or NewClient"]
                 [smtp.Auth "subclass it, or use PlainAuth or CRAMMD5Auth"]]]
    (setv e (raised t))
    (assert (isinstance e TypeError))
    (assert (= (str e) f"{t.qualified} has no constructor: {msg}"))))

;; ------------------------------------------------------------ a Hy Auth that breaks the contract

(defn test-auth-subclass-with-a-wrong-result-shape-raises [devserver]
  ;; A broken Auth is a bug in the program: it raises, it is not an error value.
  (defclass Broken [smtp.Auth]
    (defn Start [self server] "PLAIN")
    (defn Next [self from-server more] [None None]))
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (try
    (setv e (raised c.Auth (Broken)))
    (assert (is (type e) TypeError))
    (assert (= (str e) "(Start server) must return a 3-element list, got 'PLAIN'"))
    (finally (.Close c))))

(defn test-auth-subclass-with-a-non-bytes-response-raises [devserver]
  (defclass Broken [smtp.Auth]
    (defn Start [self server] ["PLAIN" 42 None])
    (defn Next [self from-server more] [None None]))
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (try
    (setv e (raised c.Auth (Broken)))
    (assert (= (str e) "an Auth response must be arrayOfByte or nil, got Int"))
    (finally (.Close c))))

(defn test-auth-subclass-without-methods []
  (defclass Empty [smtp.Auth])
  (setv e (raised (. (Empty) start) (smtp.ServerInfo)))
  (assert (isinstance e NotImplementedError))
  (assert (= (str e) "Empty must define Start and Next")))
