"The quickstart demo: real mail, sent from Hy through go.std.net.smtp.

It starts the bundled dev server on a free loopback port (STARTTLS with a
generated certificate, user alice), then

  1. sends one message step by step with the Go-named API:
     Dial, StartTLS, Auth (PLAIN), Mail, Rcpt, Data, Write, Close, Quit
     (Go's port-587 recipe);
  2. sends one over implicit TLS, Go's port-465 recipe: go.std.crypto.tls's
     Dial to the dev server's TLS port, then NewClient, with the From header
     formatted by go.std.net.mail's Address;
  3. sends one with SendMail, which upgrades to TLS by itself;
  4. composes a real one with smtp-core (HTML with a plain-text
     alternative, a CSV attachment), signs it with DKIM and sends it
     with SendMail;

and prints what the server caught, whether the DKIM signature of the
third message verifies, and the address of the dev server's mail-catcher
page, which shows the three messages (run from a terminal, the demo keeps
the page up until Enter is pressed).  Run it with `gostd-smtp-demo`.  Every
step checks its Go-style result, so a failure stops the demo with Go's
error text."

(import os sys tempfile)
(import go-std.net.smtp :as smtp)
(import go-std.crypto.tls :as tls)
(import go-std.net.mail :as mail)
(import smtp-core)
(import smtp-core.devserver [DevServer])
(import dkim)
(import dkim [dknewkey])

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

(defn send-over-implicit-tls [host port ca-path]
  (print f"2. implicit TLS (Go's port-465 recipe) to {host}:{port}")
  (setv [conn err] (tls.Dial "tcp" f"{host}:{port}" (tls.Config {"ServerName" host "RootCAs" ca-path})))
  (check "tls.Dial (handshake done, certificate verified)" err)
  (setv [c err] (smtp.NewClient conn host))
  (check "NewClient (TLS from the first byte)" err)
  (check "Auth PLAIN as alice" (.Auth c (smtp.PlainAuth "" "alice" "wonderland" host)))
  (setv from (mail.Address {"Name" "Åsa" "Address" "alice@example.com"}))
  (check "Mail" (.Mail c from.Address))
  (check "Rcpt" (.Rcpt c "bob@example.com"))
  (setv [w err] (.Data c))
  (check "Data" err)
  (check "Write" (get (.Write w (+ f"From: {(.String from)}\r\nTo: bob@example.com\r\n"
                                   "Subject: Implicit TLS from Hy\r\n\r\n"
                                   "tls.Dial, then NewClient: no STARTTLS needed.\r\n")) 1))
  (check "Close (message accepted)" (.Close w))
  (check "Quit" (.Quit c)))

(defn send-with-sendmail [addr ca-path]
  (print f"3. SendMail to {addr}")
  ;; SendMail verifies the server against the system's trust store, as Go
  ;; does; point that store at the dev server's CA for this process.
  (setv (get os.environ "SSL_CERT_FILE") (str ca-path))
  (check "SendMail (STARTTLS + PLAIN + one message)"
         (smtp.SendMail addr (smtp.PlainAuth "" "alice" "wonderland" "127.0.0.1")
                        "alice@example.com" ["carol@example.com" "dave@example.com"]
                        (+ "From: alice@example.com\r\nSubject: SendMail from Hy\r\n\r\n"
                           "One call, two recipients.\r\n"))))

(defn send-composed [addr workdir]
  "Compose, sign and send one message; return a DNS stub that serves the public key."
  (print f"4. a composed, DKIM-signed message with SendMail to {addr}")
  (setv report (os.path.join workdir "report.csv"))
  (with [f (open report "w" :encoding "utf-8")] (.write f "city,messages\nGöteborg,3\n"))
  ;; dkimpy's key tool; a real domain publishes `record` at demo._domainkey.example.com.
  (setv key (os.path.join workdir "demo.key"))
  (setv record (os.path.join workdir "demo.dns"))
  (dknewkey.ExtractEd25519PublicKey record (dknewkey.GenEd25519Keys key :verbose False) :verbose False)
  (setv m (smtp-core.message
            {:from "Åsa Öberg <alice@example.com>" :to "bob@example.com" :bcc "erin@example.com"
             :subject "Grüße from Hy ✓"
             :body [[:alternative "Hello Bob,\nthe report is attached.\n"
                                  {:type "text/html" :content "<p>Hello Bob,</p><p>the report is <b>attached</b>.</p>"}]
                    {:type :attachment :path report}]}))
  (setv [from to data] (smtp-core.envelope m))
  (setv signed (smtp-core.dkim-sign data :domain "example.com" :selector "demo" :private-key key
                                         :algorithm "ed25519-sha256"))
  (check f"SendMail (multipart, {(len signed)} bytes, Bcc only in the envelope)"
         (smtp.SendMail addr (smtp.PlainAuth "" "alice" "wonderland" "127.0.0.1") from to signed))
  (with [f (open record "rb")] (setv published (.read f)))
  (fn [name [timeout 5]] (when (= name b"demo._domainkey.example.com.") published)))

(defn main []
  (with [maildir (tempfile.TemporaryDirectory :prefix "gostd-smtp-demo-")]
    (with [server (DevServer :users {"alice" "wonderland"} :require-auth True :maildir maildir
                             :http-port 0 :tls-port None)]
      (setv addr f"{server.host}:{server.port}")
      (print f"dev server on {addr} (STARTTLS; implicit TLS on port {server.tls-port}; CA {server.ca-path}); its page: {server.url}")
      (send-step-by-step addr server.ca-path)
      (send-over-implicit-tls server.host server.tls-port server.ca-path)
      (send-with-sendmail addr server.ca-path)
      (setv dns (with [workdir (tempfile.TemporaryDirectory :prefix "gostd-smtp-demo-files-")]
                  (send-composed addr workdir)))
      (setv caught (.wait-for server 4 :timeout 10))
      (print f"5. the server caught {(len caught)} messages (stored in a Maildir):")
      (for [m caught]
        (print (+ "   - " (.summary m))))
      (setv composed (get caught -1))
      (print (+ "   the composed one: " (.join " > " (lfor p (.walk composed.message) (.get-content-type p)))))
      (print f"   its DKIM signature verifies against the published key: {(dkim.verify composed.raw :dnsfunc dns)}")
      (print f"6. see them in the mail catcher: {server.url}")
      (when (.isatty sys.stdin)
        ;; The page lives as long as the server: keep both up until the reader is done.
        (try
          (input "   the page is up while the demo runs; press Enter to stop ")
          (except [[EOFError KeyboardInterrupt]] (print))))))
  0)

(when (= __name__ "__main__")
  (sys.exit (main)))
