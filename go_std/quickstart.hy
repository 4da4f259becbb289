"The quickstart demo: real mail, sent from Hy through go.std.net.smtp.

It starts the bundled dev server on a free loopback port (STARTTLS with a
generated certificate, user alice), then

  1. sends one message step by step with the Go-named API:
     Dial, StartTLS, Auth (PLAIN), Mail, Rcpt, Data, Write, Close, Quit;
  2. sends a second one with SendMail, which upgrades to TLS by itself;

and prints what the server caught.  Run it with `gostd-smtp-demo`.  Every
step checks its Go-style result, so a failure stops the demo with Go's
error text."

(import os sys tempfile)
(import go-std.net.smtp :as smtp)
(import smtp-core.devserver [DevServer])

(defn check [step err]
  "Report one step; stop the demo on an error value."
  (if (is err None)
    (print f"  ok    {step}")
    (do (print f"  FAIL  {step}: {err}") (raise err))))

(defn send-step-by-step [addr ca-path]
  (print f"1. step by step to {addr}")
  (setv [c err] (smtp.Dial addr))
  (check "Dial" err)
  (check "StartTLS (certificate verified against the dev server's CA)"
         (.StartTLS c {"ServerName" "127.0.0.1" "RootCAs" ca-path}))
  (setv [state ok] (.TLSConnectionState c))
  (print f"        TLS version 0x{state.Version :04x}, handshake complete: {state.HandshakeComplete}")
  (check "Auth PLAIN as alice" (.Auth c (smtp.PlainAuth "" "alice" "wonderland" "127.0.0.1")))
  (check "Mail" (.Mail c "alice@example.com"))
  (check "Rcpt" (.Rcpt c "bob@example.com"))
  (setv [w err] (.Data c))
  (check "Data" err)
  (setv [n err] (.Write w (+ "From: alice@example.com\r\nTo: bob@example.com\r\n"
                             "Subject: Hello from Hy\r\n\r\n"
                             "Sent with go.std.net.smtp over STARTTLS.\r\n"
                             ".A line starting with a dot arrives intact.\r\n")))
  (check f"Write ({n} bytes)" err)
  (check "Close (message accepted)" (.Close w))
  (check "Quit" (.Quit c)))

(defn send-with-sendmail [addr ca-path]
  (print f"2. SendMail to {addr}")
  ;; SendMail verifies the server against the system's trust store, as Go
  ;; does; point that store at the dev server's CA for this process.
  (setv (get os.environ "SSL_CERT_FILE") (str ca-path))
  (check "SendMail (STARTTLS + PLAIN + one message)"
         (smtp.SendMail addr (smtp.PlainAuth "" "alice" "wonderland" "127.0.0.1")
                        "alice@example.com" ["carol@example.com" "dave@example.com"]
                        (+ "From: alice@example.com\r\nSubject: SendMail from Hy\r\n\r\n"
                           "One call, two recipients.\r\n"))))

(defn main []
  (with [maildir (tempfile.TemporaryDirectory :prefix "gostd-smtp-demo-")]
    (with [server (DevServer :users {"alice" "wonderland"} :require-auth True :maildir maildir)]
      (setv addr f"{server.host}:{server.port}")
      (print f"dev server on {addr} (STARTTLS; CA {server.ca-path})")
      (send-step-by-step addr server.ca-path)
      (send-with-sendmail addr server.ca-path)
      (setv caught (.wait-for server 2 :timeout 10))
      (print f"3. the server caught {(len caught)} messages (stored in a Maildir):")
      (for [m caught]
        (print (+ "   - " (.summary m))))))
  0)

(when (= __name__ "__main__")
  (sys.exit (main)))
