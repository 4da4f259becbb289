"The namespace as a Hy user writes it: [result err], match, an Auth in Hy."

(import pytest)
(import go-std.net.smtp :as smtp)

(defn addr-of [server] f"127.0.0.1:{server.port}")

(defclass HyLogin [smtp.Auth]
  "LOGIN, written in Hy against Go's Auth interface."
  (defn __init__ [self user password]
    (setv self.user user self.password password self.seen []))
  (defn Start [self server]
    (.append self.seen #((. server Name) (. server TLS) (. server Auth)))
    ["LOGIN" None None])
  (defn Next [self from-server more]
    ;; Servers word the prompts differently ("Username:", "User Name\0"):
    ;; answer by position, and refuse a third prompt.
    (.append self.seen from-server)
    (setv prompts (- (len self.seen) 1))
    (cond
      (not more) [None None]
      (= prompts 1) [(.encode self.user) None]
      (= prompts 2) [(.encode self.password) None]
      True [None (ValueError (+ "unexpected challenge " (repr from-server)))])))

(defn test-a-whole-session-with-tls-and-a-hy-auth [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (assert (is err None))
  (assert (isinstance c smtp.*Client))
  (assert (is None (.StartTLS c {"ServerName" "127.0.0.1" "RootCAs" (str devserver.ca-path)})))
  (setv [state ok] (.TLSConnectionState c))
  (assert (and ok state.HandshakeComplete (!= state.Version 0)))
  (setv login (HyLogin "alice" "wonderland"))
  (assert (is None (.Auth c login)))
  (assert (= (get login.seen 0) #("127.0.0.1" True ["CRAM-MD5" "LOGIN" "PLAIN"])))
  (assert (is None (.Mail c "alice@example.com")))
  (assert (is None (.Rcpt c "bob@example.com")))
  (setv [w err] (.Data c))
  (assert (is err None))
  (assert (= (.Write w "Subject: from Hy\r\n\r\n.dot line\r\n") [31 None]))
  (assert (is None (.Close w)))
  (assert (is None (.Quit c)))
  (setv [got] (.wait-for devserver 1))
  (assert (= got.subject "from Hy"))
  (assert (= got.authenticated-as "alice"))
  (assert (in b"\r\n.dot line\r\n" got.raw)))

(defn describe [result]
  "What a user does with a Go-style pair: match on it."
  (match result
    [None err] (+ "failed: " (str err))
    [c None] (do (.Quit c) "connected")))

(defn test-match-on-results [devserver free-port]
  (assert (= (describe (smtp.Dial (addr-of devserver))) "connected"))
  (assert (.startswith (describe (smtp.Dial f"127.0.0.1:{free-port}")) "failed: ")))

(defn test-errors-are-values-with-go-text [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (setv err (.Auth c (smtp.PlainAuth "" "alice" "wrong" "127.0.0.1")))
  (assert (isinstance err Exception))
  (assert (= (. err Code) 535))
  (assert (.startswith (str err) "535 \""))
  (with [(pytest.raises Exception)] (raise err))
  ;; the failed AUTH ended the session (Go sends QUIT), so the client is closed
  (assert (isinstance (.Noop c) OSError)))

(defn test-a-hy-auth-error-comes-back-unchanged [scripted]
  (setv srv (scripted ["220 mx" "250-mx\n250 AUTH LOGIN" "334 VXNlcjo=" "334 UGFzczo=" "334 V2hvPw=="
                       "501 aborted" "221 bye"]))
  (setv [c err] (smtp.Dial srv.address))
  (setv err (.Auth c (HyLogin "a" "b")))
  (assert (isinstance err ValueError))
  (assert (= (str err) "unexpected challenge b'Who?'"))
  (assert (= (.transcript srv) b"EHLO localhost\r\nAUTH LOGIN\r\nYQ==\r\nYg==\r\n*\r\nQUIT\r\n")))

(defn test-sendmail-with-nil-auth [devserver monkeypatch]
  (.setenv monkeypatch "SSL_CERT_FILE" (str devserver.ca-path))
  (assert (is None (smtp.SendMail (addr-of devserver) None "a@example.com" ["b@example.com" "c@example.com"]
                                  b"Subject: nil auth\r\n\r\nbody\r\n")))
  (setv [got] (.wait-for devserver 1))
  (assert (= (list got.envelope-to) ["b@example.com" "c@example.com"])))

(defn test-write-reports-accepted-bytes-and-errors [scripted]
  (setv srv (scripted ["220 mx" "250 mx" "250 ok" "250 ok" "354 go" "250 ok" "221 bye"]))
  (setv [c err] (smtp.Dial srv.address))
  (.Mail c "a@x") (.Rcpt c "b@x")
  (setv [w err] (.Data c))
  (assert (= (.Write w (bytearray b"abc")) [3 None]))
  (assert (is None (.Close w)))
  (setv [n err] (.Write w b"late"))
  (assert (and (= n 0) (isinstance err OSError)))
  (assert (is None (.Quit c))))
