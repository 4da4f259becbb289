"The go.std.net.smtp namespace as a Hy user meets it: vars, metadata, help,
types, conversions, and real conversations with the dev server.

Argument errors and their exact messages are in test_namespace_errors.hy."

(import pydoc
        pytest
        smtp-core :as core
        smtp-core.devserver [DevServer]
        smtp-core.errors [ReplyError]
        go-std.net.smtp :as smtp)

(setv INDEX ["*Client" "*ServerInfo" "Auth" "CRAMMD5Auth" "Client" "Dial" "NewClient"
             "PlainAuth" "SendMail" "ServerInfo" "arrayOfAuth" "arrayOfClient" "arrayOfServerInfo"])
(setv CLIENT-RECEIVERS ["Auth" "Close" "Data" "Extension" "Hello" "Mail" "Noop" "Quit" "Rcpt"
                        "Reset" "StartTLS" "TLSConnectionState" "Verify"])
(setv AUTH-METHODS ["Next" "Start"])
(setv NS smtp.__joker_ns__)

(defn all-keys []
  "Every var key of the namespace: the index, then each type's receivers or methods."
  (+ INDEX
     (lfor r CLIENT-RECEIVERS f"(*Client){r}")
     (lfor m AUTH-METHODS f"(Auth){m}")))

(defn var-of [key] (get NS.vars key 0))

(defn help-text [x]
  "What (help x) prints."
  (pydoc.render-doc x :renderer pydoc.plaintext))

(defn addr-of [server] f"{server.host}:{server.port}")

(defn squeeze [text]
  "Text with every run of white space made one space (help wraps docs)."
  (.join " " (.split text)))

;; ------------------------------------------------------------ the index

(defn test-index-is-exactly-jokers []
  (assert (= (.index NS) INDEX)))

(defn test-receivers-of-client-and-methods-of-auth []
  (assert (= (.members-of NS "*Client") CLIENT-RECEIVERS))
  (assert (= (.members-of NS "*Client" "receiver") CLIENT-RECEIVERS))
  (assert (= (.members-of NS "Auth") AUTH-METHODS))
  (assert (= (.members-of NS "Auth" "method") AUTH-METHODS))
  ;; Client (the struct) has none: Go's receivers are on the pointer.
  (assert (= (.members-of NS "Client") [])))

(defn test-writer-methods-stay-out-of-the-index []
  ;; Data's writer is Go's io.WriteCloser, not a var of this namespace.
  (assert (= (.members-of NS "io.WriteCloser") ["Close" "Write"]))
  (for [k (.index NS)]
    (assert (not (.startswith k "io.")))))

(defn test-every-index-name-is-a-module-attribute []
  (for [k INDEX]
    (assert (is (getattr smtp (hy.mangle k)) (var-of k)) k)))

;; ------------------------------------------------------------ metadata and help

(defn test-every-var-carries-its-metadata []
  (for [key (all-keys)]
    (setv v (var-of key) meta (get NS.vars key 1))
    (for [attr ["name" "kind" "added" "doc" "usage" "go_args" "go_returns" "joker_args" "joker_returns"]]
      (assert (= (getattr v attr) (get meta attr)) f"{key}.{attr}"))
    (assert (= v.added "1.0") key)
    (assert (and (isinstance v.doc str) (> (len v.doc) 30)) key)
    (assert (in v.kind #("function" "receiver" "method" "type" "abstract")) key)))

(defn test-function-metadata-reads-like-jokers-page []
  (assert (= smtp.SendMail.name "SendMail"))
  (assert (= smtp.SendMail.kind "function"))
  (assert (= smtp.SendMail.usage "(SendMail addr a from to msg)"))
  (assert (= smtp.SendMail.go-args "(addr string, a Auth, from string, to []string, msg []byte)"))
  (assert (= smtp.SendMail.go-returns "error"))
  (assert (= smtp.SendMail.joker-args "[^String addr, ^Auth a, ^String from, ^arrayOfString to, ^arrayOfByte msg]"))
  (assert (= smtp.SendMail.joker-returns "^Error"))
  (assert (= smtp.SendMail.qualified "go.std.net.smtp/SendMail"))
  (assert (= smtp.Dial.joker-returns "[^*Client, ^Error]"))
  (assert (= smtp.Dial.go-returns "(*Client, error)"))
  (assert (= smtp.NewClient.joker-args "[^go.std.net/Conn conn, ^String host]"))
  (assert (= smtp.PlainAuth.joker-returns "^Auth"))
  (assert (= smtp.CRAMMD5Auth.go-args "(username string, secret string)")))

(defn test-receiver-and-method-metadata []
  (setv hello smtp.*Client.Hello)
  (assert (= hello.kind "receiver"))
  (assert (= hello.type "*Client"))
  (assert (= hello.usage "(.Hello client localName)"))
  (assert (= hello.qualified "go.std.net.smtp/(*Client)Hello"))
  (assert (= hello.joker-args "[^String localName]"))
  (assert (= smtp.*Client.Extension.joker-returns "[^Boolean, ^String]"))
  (assert (= smtp.*Client.TLSConnectionState.go-returns "(tls.ConnectionState, bool)"))
  (assert (= smtp.*Client.Data.joker-returns "[^io.WriteCloser, ^Error]"))
  (assert (= smtp.*Client.StartTLS.joker-args "[^*tls.Config config]"))
  (setv start smtp.Auth.Start)
  (assert (= start.kind "method"))
  (assert (= start.type "Auth"))
  (assert (= start.qualified "go.std.net.smtp/(Auth)Start"))
  (assert (= start.joker-returns "[^String, ^arrayOfByte, ^Error]"))
  (assert (= smtp.Auth.Next.go-args "(fromServer []byte, more bool)")))

(defn test-type-metadata []
  (assert (= smtp.*Client.kind "type"))
  (assert (= smtp.*Client.name "*Client"))
  (assert (= smtp.*Client.qualified "go.std.net.smtp/*Client"))
  (assert (= smtp.Auth.kind "abstract"))
  (assert (= smtp.ServerInfo.name "ServerInfo"))
  (assert (= smtp.ServerInfo.usage "(ServerInfo {:Name name :TLS tls :Auth [mechanism ...]})"))
  (assert (in "Name" smtp.ServerInfo.doc))
  (assert (is smtp.*Client.go-args None))
  (assert (= (repr smtp.*Client) "<go type go.std.net.smtp/*Client>")))

(defn test-help-text-of-every-var []
  (for [key (all-keys)]
    (setv v (var-of key) meta (get NS.vars key 1) text (help-text v))
    (assert (in (+ v.qualified "  (") text) key)
    (assert (in (squeeze (get meta "doc")) (squeeze v.__doc__)) key)
    (assert (in (.join " " (cut (.split (get meta "doc")) 6)) text) key)
    (when (get meta "usage")
      (assert (in (+ "Usage: " (get meta "usage")) text) key))
    (when (get meta "go_args")
      (for [line [(+ "Go input arguments: " (get meta "go_args"))
                  (+ "Go returns: " (get meta "go_returns"))
                  (+ "Joker input arguments: " (get meta "joker_args"))
                  (+ "Joker returns: " (get meta "joker_returns"))]]
        (assert (in line text) f"{key}: {line}")))))

(defn test-help-of-a-receiver-exactly []
  (assert (= smtp.*Client.Verify.__doc__
             (.join "\n"
               ["go.std.net.smtp/(*Client)Verify  (Receiver for *Client, v1.0)"
                ""
                "Usage: (.Verify client addr)"
                ""
                "Asks the server to verify address addr (VRFY). nil means valid; an error"
                "does not mean invalid, since many servers refuse to tell."
                ""
                "Go input arguments: (addr string)"
                "Go returns: error"
                "Joker input arguments: [^String addr]"
                "Joker returns: ^Error"]))))

(defn test-help-of-a-type-lists-its-go-members-only []
  (setv text (help-text smtp.*Client))
  (assert (in "go.std.net.smtp/*Client  (Concrete Type, v1.0)" text))
  (assert (in "Receivers:" text))
  (assert (in "(.StartTLS client config)     => ^Error" text))
  (assert (in "(.TLSConnectionState client)  => [^tls.ConnectionState, ^Boolean]" text))
  ;; Not the core's Python API.
  (assert (not-in "starttls(" text))
  (assert (not-in "__go_impl__" text))
  (assert (= (sorted (dir smtp.*Client)) CLIENT-RECEIVERS))
  (setv auth-text (help-text smtp.Auth))
  (assert (in "Methods:" auth-text))
  (assert (in "(.Start auth server)" auth-text))
  (assert (= (sorted (dir smtp.Auth)) AUTH-METHODS)))

(defn test-help-of-a-constructor-shows-its-signature []
  (assert (in "ServerInfo(fields=None, /, *, Name='', TLS=False, Auth=None)" (help-text smtp.ServerInfo)))
  (assert (in "arrayOfAuth(*items)" (help-text smtp.arrayOfAuth)))
  ;; No misleading (*args, **kwargs) for a type with no constructor.
  (assert (not-in "*args" (help-text smtp.*Client))))

(defn test-help-builtin-prints-the-page [capsys]
  (help smtp.*Client.Hello)
  (assert (in "go.std.net.smtp/(*Client)Hello  (Receiver for *Client, v1.0)" (. (.readouterr capsys) out))))

(defn test-help-of-a-bound-receiver [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (try
    (assert (in "go.std.net.smtp/(*Client)Hello" (help-text (. c Hello))))
    (assert (in "Usage: (.Hello client localName)" (help-text c.Hello)))
    (finally (.Close c))))

;; ------------------------------------------------------------ types as vars

(defn test-types-are-classes-for-isinstance []
  (setv a (smtp.PlainAuth "" "u" "p" "localhost"))
  (assert (isinstance a smtp.Auth))
  (assert (isinstance (smtp.CRAMMD5Auth "u" "s") smtp.Auth))
  (assert (not (isinstance "x" smtp.Auth)))
  (assert (isinstance (smtp.ServerInfo) smtp.*ServerInfo))
  (assert (isinstance (smtp.ServerInfo) smtp.ServerInfo))
  (assert (issubclass smtp.GoClient smtp.*Client))
  (assert (not (isinstance a smtp.*Client))))

(defn test-types-without-constructor-say-how-to-get-one []
  (with [e (pytest.raises TypeError)] (smtp.*Client))
  (assert (= (str e.value) "go.std.net.smtp/*Client has no constructor: make one with Dial or NewClient"))
  (with [e (pytest.raises TypeError)] (smtp.Auth))
  (assert (= (str e.value) "go.std.net.smtp/Auth has no constructor: subclass it, or use PlainAuth or CRAMMD5Auth")))

(defn test-server-info-from-a-map-with-keyword-keys []
  (setv info (smtp.ServerInfo {:Name "mx" :TLS True :Auth ["PLAIN"]}))
  (assert (isinstance info core.ServerInfo))
  (assert (= [info.Name info.TLS info.Auth] ["mx" True ["PLAIN"]])))

(defn test-server-info-from-a-map-with-string-keys-and-from-keywords []
  (assert (= (smtp.ServerInfo {"Name" "mx" "Auth" #("PLAIN" "LOGIN")})
             (core.ServerInfo "mx" False ["PLAIN" "LOGIN"])))
  (assert (= (smtp.ServerInfo :Name "mx") (core.ServerInfo "mx" False None)))
  (assert (= (smtp.ServerInfo :Name "mx" :TLS True :Auth ["X"]) (core.ServerInfo "mx" True ["X"])))
  ;; Keywords win over the map.
  (assert (= (. (smtp.ServerInfo {:Name "a"} :Name "b") Name) "b"))
  (assert (= (smtp.*ServerInfo {:TLS True}) (core.ServerInfo "" True None))))

(defn test-server-info-zero-value []
  (setv info (smtp.ServerInfo))
  (assert (= [info.Name info.TLS info.Auth] ["" False None])))

(defn test-array-of-auth-from-items-or-one-list []
  (setv a (smtp.PlainAuth "" "u" "p" "localhost") b (smtp.CRAMMD5Auth "u" "s"))
  (setv arr (smtp.arrayOfAuth a b))
  (assert (isinstance arr smtp.arrayOfAuth))
  (assert (isinstance arr list))
  (assert (= (list arr) [a b]))
  (assert (= (list (smtp.arrayOfAuth [a b])) [a b]))
  (assert (= (list (smtp.arrayOfAuth #(a b))) [a b]))
  (assert (= (list (smtp.arrayOfAuth)) []))
  (assert (= (list (smtp.arrayOfAuth [])) []))
  (.append arr a)
  (.extend arr [b])
  (.insert arr 0 b)
  (setv (get arr 1) b)
  (+= arr [a])
  (assert (= (len arr) 6))
  (assert (= (repr (smtp.arrayOfAuth b)) "(arrayOfAuth CramMD5Auth(username='u'))")))

(defn test-array-of-server-info []
  (setv arr (smtp.arrayOfServerInfo (smtp.ServerInfo :Name "a") (smtp.ServerInfo :Name "b")))
  (assert (= (lfor i arr i.Name) ["a" "b"]))
  (assert (isinstance arr smtp.arrayOfServerInfo))
  (assert (not (isinstance arr smtp.arrayOfAuth))))

(defn test-array-of-client [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (try
    (setv arr (smtp.arrayOfClient [c]))
    (assert (is (get arr 0) c))
    (assert (isinstance arr smtp.arrayOfClient))
    (finally (.Close c))))

(defn test-a-hy-auth-subclass-is-an-ordinary-class []
  (defclass Custom [smtp.Auth]
    (defn Start [self server] ["X-CUSTOM" None None])
    (defn Next [self from-server more] [None None]))
  (setv a (Custom))
  (assert (isinstance a smtp.Auth))
  (assert (issubclass Custom smtp.Auth))
  (assert (isinstance a core.Auth))
  (assert (is (type Custom) type))
  (assert (= (get Custom.__mro__ 1) smtp.GoAuth))
  ;; It does not inherit the var's metadata attributes.
  (assert (not (hasattr a "kind")))
  (assert (not (hasattr Custom "usage")))
  ;; Start and Next are checked like every method of Auth.
  (assert (= (.Start a (smtp.ServerInfo)) ["X-CUSTOM" None None]))
  (assert (= (.start a (smtp.ServerInfo)) #("X-CUSTOM" None))))

;; ------------------------------------------------------------ conversions

(defn test-array-of-byte-conversion []
  (import go-std.joker [conv-arrayOfByte])
  (assert (= (conv-arrayOfByte b"ab" 0 "p" "q") b"ab"))
  (assert (= (conv-arrayOfByte (bytearray b"ab") 0 "p" "q") b"ab"))
  (assert (= (conv-arrayOfByte (memoryview b"ab") 0 "p" "q") b"ab"))
  (assert (= (conv-arrayOfByte "hé" 0 "p" "q") (.encode "hé" "utf-8"))))

(defn test-array-of-string-conversion []
  (import go-std.joker [conv-arrayOfString])
  (assert (= (conv-arrayOfString ["a" "b"] 0 "to" "q") ["a" "b"]))
  (assert (= (conv-arrayOfString #("a" "b") 0 "to" "q") ["a" "b"]))
  (assert (= (conv-arrayOfString [] 0 "to" "q") []))
  ;; The converted list is a copy: the caller's list is not kept.
  (setv mine ["a"])
  (assert (is-not (conv-arrayOfString mine 0 "to" "q") mine)))

(defn test-string-accepts-str-subclasses []
  ;; A Hy string model is a str.
  (import go-std.joker [conv-String])
  (setv s (conv-String (hy.models.String "x") 0 "a" "q"))
  (assert (and (isinstance s str) (= (str s) "x"))))

(defn test-send-mail-conversions-and-nil-auth [devserver pki monkeypatch]
  ;; SendMail verifies the server's certificate against the default trust store.
  (.setenv monkeypatch "SSL_CERT_FILE" pki.ca-path)
  (setv addr (addr-of devserver))
  ;; to as a list, msg as str (sent as UTF-8), auth nil: success is nil itself.
  (assert (is (smtp.SendMail addr None "a@example.com" ["b@example.com"] "Subject: one\r\n\r\nhé\r\n") None))
  ;; to as a tuple, msg as bytes.
  (assert (is (smtp.SendMail addr None "a@example.com" #("c@example.com" "d@example.com") b"Subject: two\r\n\r\nx\r\n") None))
  ;; msg as a bytearray, with authentication.
  (assert (is (smtp.SendMail addr (smtp.PlainAuth "" "alice" "wonderland" "127.0.0.1")
                             "alice@example.com" ["e@example.com"] (bytearray b"Subject: three\r\n\r\ny\r\n"))
              None))
  (setv got (.wait-for devserver 3))
  (assert (= (lfor m got m.envelope-to) [#("b@example.com") #("c@example.com" "d@example.com") #("e@example.com")]))
  (assert (in (.encode "hé" "utf-8") (. (get got 0) raw)))
  (assert (= (lfor m got m.authenticated-as) [None None "alice"]))
  (assert (all (gfor m got m.tls))))

(defn test-send-mail-returns-the-error-value [free-port]
  (setv err (smtp.SendMail f"127.0.0.1:{free-port}" None "a@example.com" ["b@example.com"] b"x"))
  (assert (isinstance err OSError))
  (assert (not (isinstance err TypeError))))

;; ------------------------------------------------------------ a real conversation

(defn test-conversation-with-the-dev-server [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (assert (is err None))
  (assert (isinstance c smtp.*Client))
  (assert (= (repr c) "<*smtp.Client 127.0.0.1 plaintext, not greeted>"))
  (assert (= (hy.repr [c None]) "[<*smtp.Client 127.0.0.1 plaintext, not greeted> None]"))
  (assert (is (.Hello c "client.example") None))
  (assert (= (repr c) "<*smtp.Client 127.0.0.1 plaintext, greeted>"))
  (setv [ok param] (.Extension c "auth"))
  (assert (is ok True))
  (assert (in "PLAIN" param))
  (match (.Extension c "NO-SUCH-EXTENSION")
    [False ""] None
    other (raise (AssertionError (repr other))))
  (setv [state tls?] (.TLSConnectionState c))
  (assert (= [state.Version state.HandshakeComplete tls?] [0 False False]))
  (assert (is (.Auth c (smtp.CRAMMD5Auth "bob" "builder")) None))
  (assert (is (.Noop c) None))
  (assert (is (.Mail c "bob@example.com") None))
  (assert (is (.Rcpt c "carol@example.com") None))
  (setv [w err] (.Data c))
  (assert (is err None))
  (assert (= (repr w) "<io.WriteCloser smtp DATA writer, open>"))
  ;; Write takes str (as UTF-8), bytes, bytearray; n counts the input's bytes.
  (match (.Write w "Subject: from Hy\r\n\r\n")
    [n None] (assert (= n 20))
    [_ err] (raise err))
  (assert (= (.Write w (bytearray b".dot line\n")) [10 None]))
  (assert (= (.Write w "né\r\n") [5 None]))
  (assert (is (.Close w) None))
  (assert (is (.Reset c) None))
  (assert (is (.Quit c) None))
  (assert (= (repr c) "<*smtp.Client 127.0.0.1 closed, greeted>"))
  (setv [m] (.wait-for devserver 1))
  (assert (= m.envelope-from "bob@example.com"))
  (assert (= m.authenticated-as "bob"))
  (assert (= (. m message ["Subject"]) "from Hy"))
  (assert (.endswith m.raw (.encode "\r\n.dot line\r\nné\r\n" "utf-8"))))

(defn test-errors-come-back-as-values-for-match [devserver free-port]
  ;; A refused connection: [None err], err an OSError.
  (setv outcome
    (match (smtp.Dial f"127.0.0.1:{free-port}")
      [c None] (do (.Close c) "connected?")
      [None (OSError)] "refused"))
  (assert (= outcome "refused"))
  (setv [c err] (smtp.Dial (addr-of devserver)))
  ;; VRFY: the dev server answers 252 (cannot verify), which Go's Verify refuses.
  (setv err (.Verify c "someone@example.com"))
  (assert (isinstance err ReplyError))
  (assert (= (match err (ReplyError :Code code) code) 252))
  (assert (.startswith (repr err) "<ReplyError: 252 "))
  (assert (= (repr err) (+ "<ReplyError: " (str err) ">")))
  ;; A second Close is an I/O error value, not an exception.
  (assert (is (.Close c) None))
  (assert (isinstance (.Close c) OSError)))

(defn test-refused-recipient [pki tmp-path]
  (with [srv (DevServer :reject-rcpt ["nobody@example.com"] :tls-port False
                        :cert #(#* pki.cert pki.ca-path) :maildir (str (/ tmp-path "md")))]
    (setv [c err] (smtp.Dial (addr-of srv)))
    (assert (is (.Mail c "a@example.com") None))
    (setv err (.Rcpt c "nobody@example.com"))
    (assert (= err.Code 550))
    (assert (.startswith (str err) "550 "))
    (assert (is (.Quit c) None))))

(defn test-starttls-through-the-namespace [devserver pki]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (assert (is (.StartTLS c {:ServerName "127.0.0.1" :RootCAs pki.ca-path}) None))
  (assert (= (repr c) "<*smtp.Client 127.0.0.1 TLS, greeted>"))
  (setv [state ok] (.TLSConnectionState c))
  (assert ok)
  (assert (>= state.Version 0x0303))
  (assert (is (.Quit c) None)))

(defn test-new-client-over-my-socket [devserver]
  (import socket)
  (setv sock (socket.create-connection #(devserver.host devserver.port) :timeout 10))
  (setv [c err] (smtp.NewClient sock "127.0.0.1"))
  (assert (is err None))
  (assert (= c.server-name "127.0.0.1"))
  (assert (is (.Quit c) None)))

;; ------------------------------------------------------------ a custom Auth in Hy

(defclass LoginAuth [smtp.Auth]
  "The LOGIN mechanism, written the way a Hy user would."

  (defn __init__ [self user password]
    (setv self.user user self.password password self.seen []))

  (defn Start [self server]
    (.append self.seen server)
    (if (and (not server.TLS) (not-in server.Name #("localhost" "127.0.0.1")))
      ["" None (Exception "LOGIN refuses an unencrypted remote server")]
      ["LOGIN" None None]))

  (defn Next [self from-server more]
    (.append self.seen #(from-server more))
    (cond
      (not more) [None None]
      ;; Servers word the prompts differently ("Username:", "User Name").
      (.startswith (.lower from-server) b"user") [self.user None]
      (.startswith (.lower from-server) b"password") [(.encode self.password) None]
      True [None (Exception (+ "unexpected challenge " (repr from-server)))])))

(defn test-custom-auth-subclass-against-the-dev-server [devserver]
  (setv auth (LoginAuth "alice" "wonderland"))
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (assert (is (.Auth c auth) None))
  (setv [info #* steps] auth.seen)
  (assert (= [info.Name info.TLS] ["127.0.0.1" False]))
  (assert (in "LOGIN" info.Auth))
  ;; Two prompts, then (as in Go) Next sees the 235 text with more false.
  (assert (= (lfor [challenge more] steps more) [True True False]))
  (assert (is (.Mail c "alice@example.com") None))
  (assert (is (.Rcpt c "bob@example.com") None))
  (setv [w err] (.Data c))
  (.Write w "Subject: custom auth\r\n\r\nok\r\n")
  (assert (is (.Close w) None))
  (assert (is (.Quit c) None))
  (assert (= (. (get (.wait-for devserver 1) 0) authenticated-as) "alice")))

(defn test-custom-auth-error-is-returned-as-is [devserver]
  (setv auth (LoginAuth "alice" "wrong"))
  (setv [c err] (smtp.Dial (addr-of devserver)))
  ;; The server refuses the password: a reply error value.
  (setv err (.Auth c auth))
  (assert (isinstance err ReplyError))
  (assert (= err.Code 535))
  ;; As in Go, a failed Auth ends the conversation (QUIT and close).
  (assert (isinstance (.Close c) OSError)))

(defn test-custom-auth-own-error-comes-back [devserver]
  (defclass Refusing [smtp.Auth]
    (defn Start [self server] ["LOGIN" None None])
    (defn Next [self from-server more] [None (ValueError "no thanks")]))
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (setv err (.Auth c (Refusing)))
  (assert (isinstance err ValueError))
  (assert (= (str err) "no thanks"))
  (assert (isinstance (.Close c) OSError)))

;; ------------------------------------------------------------ the table's syntax

(defn table-module [source]
  "A fresh module whose body is `source`, a small namespace table."
  (import types)
  (setv module (types.ModuleType "tabletest"))
  (hy.eval (hy.read-many (+ "(require go-std.joker.macros [defgo defmembers defgotype])
                             (import go-std.joker [Namespace])
                             (setv __joker_ns__ (Namespace \"t.ns\" \"tabletest\" \"A test namespace.\"))"
                            source))
           :module module)
  module)

(defn test-return-lines-follow-the-result-convention []
  (import go-std.joker [return-lines])
  (assert (= (return-lines "pair" "*Client") #("(*Client, error)" "[^*Client, ^Error]")))
  (assert (= (return-lines "error" None) #("error" "^Error")))
  (assert (= (return-lines "value" "Auth") #("Auth" "^Auth")))
  (assert (= (return-lines "as-is" None "(bool, string)" "[^Boolean, ^String]")
             #("(bool, string)" "[^Boolean, ^String]")))
  (with [(pytest.raises ValueError :match "as-is result needs")]
    (return-lines "as-is" None))
  (with [(pytest.raises ValueError :match "unknown result convention")]
    (return-lines "pairs" "X")))

(defn test-a-table-gets-wrappers-members-and-exports []
  (setv m (table-module "
    (defclass Impl [] (defn greet [self who] (+ \"hi \" who)))
    (defn twice [s] (* 2 s))
    (defgo function Twice [s String \"string\"] :doc \"Twice s.\" :result value :returns \"String\" :call twice)
    (defmembers receiver \"*Thing\" Impl
      (Greet [who String \"string\"] :doc \"Greets.\" :result value :returns \"String\" :call Impl.greet))
    (defgotype *Thing :impl Impl :doc \"A thing.\" :no-make \"none\")
    (setv __all__ (.exports __joker_ns__))"))
  (assert (= (m.Twice "ab") "abab"))
  (assert (= (.Greet (m.Impl) "you") "hi you"))
  (assert (= m.Twice.go-returns "String"))
  (assert (= m.Twice.joker-returns "^String"))
  (assert (= (. (get m.__joker_ns__.vars "(*Thing)Greet") [1] ["usage"]) "(.Greet thing who)"))
  (assert (= (.members-of m.__joker_ns__ "*Thing") ["Greet"]))
  (assert (= m.__all__ ["Twice" (hy.mangle "*Thing")]))
  ;; The expansion binds nothing but the declared names (and gensyms).
  (assert (= (sfor k (vars m) :if (not (or (.startswith k "_") (.startswith k "hyx_") (in k #("Impl" "twice" "Namespace" "Twice"))))
                   k)
             #{"hy"})))

(defn test-a-table-refuses-unknown-or-missing-options []
  (with [e (pytest.raises Exception)]
    (table-module "(defgo function F [] :doc \"d\" :call int :reslut value)"))
  (assert (in "unexpected keyword argument 'reslut'" (str e.value)))
  (with [e (pytest.raises Exception)]
    (table-module "(defgo function F [] :call int)"))
  (assert (in "missing a required positional argument: 'doc'" (str e.value)))
  (with [e (pytest.raises Exception)]
    (table-module "(defgo receiver F [] :doc \"d\" :call int)"))
  (assert (in "give :type and :impl" (str e.value))))
