"The Pythonic layer as a Hy user writes it: (import smtp-core), keyword arguments, results."

(import pytest)
(import socket)
(import smtp-core)
(import go-std.net.smtp :as smtp)
(import scripted [Silent])

(defn addr-of [server] f"127.0.0.1:{server.port}")

(defn test-send-from-hy [devserver pki]
  (setv r (smtp-core.send (addr-of devserver) "alice@example.com" ["bob@example.com" "carol@example.com"]
                          b"Subject: from Hy\r\n\r\nhello\r\n"
                          :tls "required"
                          :tls-config (smtp-core.TLSConfig :root-cas pki.ca-path)
                          :auth (smtp-core.LoginAuth "alice" "wonderland")
                          :timeout 10))
  (assert (= r.accepted ["bob@example.com" "carol@example.com"]))
  (assert (= r.refused {}))
  (assert (= (get r.reply 0) 250))
  (setv [got] (.wait-for devserver 1))
  (assert got.tls)
  (assert (= got.authenticated-as "alice"))
  (assert (= got.subject "from Hy")))

(defn test-one-connection-many-messages [devserver]
  (with [c (smtp-core.connect (addr-of devserver) :tls "none" :timeout 10)]
    (for [n (range 3)]
      (smtp-core.send c "a@example.com" ["b@example.com"] (.encode f"Subject: {n}\r\n\r\nx\r\n")))
    (assert (not c.closed))
    (.quit c))
  (assert (= (lfor m (.wait-for devserver 3) m.subject) ["0" "1" "2"])))

(defn test-refusals-in-hy [scripted]
  (setv srv (scripted ["220 hi" "250-mx\n250 PIPELINING" "250 ok" "550 5.1.1 unknown" "554 no recipients"
                       "250 reset" "250 ok" "250 ok" "354 go" "250 queued" "221 bye"]))
  (with [c (smtp-core.connect srv.address :tls "none" :timeout 10)]
    (setv refused None)
    (try
      (smtp-core.send c "a@example.com" ["nobody@example.com"] b"x")
      (except [e smtp-core.RecipientsRefused]
        (setv refused e.refused)))
    (assert (= (. (get refused "nobody@example.com") code) 550))
    ;; The client was reset and takes the next message.
    (setv r (smtp-core.send c "a@example.com" ["b@example.com"] b"x"))
    (assert (= r.reply #(250 "queued")))
    (.quit c)))

(defn test-a-timeout-names-its-stage [scripted]
  (setv srv (scripted ["220 hi" (Silent)]))
  (with [caught (pytest.raises smtp-core.StageTimeout)]
    (smtp-core.connect srv.address :tls "none" :timeout 0.3))
  (assert (= caught.value.stage "EHLO")))

(defn test-go-namespace-takes-a-core-auth [devserver]
  ;; The Go-named Auth receiver accepts any core mechanism: LOGIN here.
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (assert (is err None))
  (assert (is None (.Auth c (smtp-core.LoginAuth "alice" "wonderland"))))
  (assert (is None (.Mail c "alice@example.com")))
  (assert (is None (.Rcpt c "bob@example.com")))
  (setv [w err] (.Data c))
  (assert (= (.Write w "Subject: login\r\n\r\nhi\r\n") [22 None]))
  (assert (is None (.Close w)))
  (assert (is None (.Quit c)))
  (setv [got] (.wait-for devserver 1))
  (assert (= got.authenticated-as "alice")))

(defn test-go-namespace-core-auth-failure-is-a-value [devserver]
  (setv [c err] (smtp.Dial (addr-of devserver)))
  (setv err (.Auth c (smtp-core.LoginAuth "alice" "wrong")))
  (assert (isinstance err smtp-core.ReplyError))
  (assert (= err.Code 535)))

(defn test-go-named-api-deadline-through-the-socket [scripted]
  ;; How a user of the Go-named API bounds its waits: a socket with a timeout.
  (setv srv (scripted [(Silent)]))
  (setv sock (socket.create-connection #("127.0.0.1" srv.port) 0.3))
  (setv [c err] (smtp.NewClient sock "127.0.0.1"))
  (assert (is c None))
  (assert (isinstance err TimeoutError)))
